//! Freed memory handed back to the OS.

/// Returns the memory freed so far to the OS. glibc keeps freed blocks smaller than its mmap
/// threshold in its arenas, and the threshold rises to the size of each large block freed
/// (up to 32 MiB), so the analysis's freed temporaries would stay resident for as long as the
/// snapshot is held: 40 MB on bench's medium snapshot (517 MB resident without, 477 MB with).
pub fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: malloc_trim only walks glibc's own free lists; it may be called at any time.
        unsafe {
            malloc_trim(0);
        }
    }
}

/// `len` zeros, written rather than mapped: `vec![0; len]` of a large array gets untouched
/// pages, and where the first access to a page is a read (a random lookup before any store),
/// the kernel maps its shared zero page, so the first store faults again, copies, and flushes
/// the other cores' TLBs. In a threaded analysis those flushes cost as much as the DFS itself.
pub fn zeroed<T: Copy + Default>(len: usize) -> Vec<T> {
    let mut v = Vec::with_capacity(len);
    v.resize(len, T::default());
    v
}

/// Asks the processor to bring `slice[i]` into its cache, for a load soon after (a hint, with
/// no effect on results; none outside the slice). A walk that goes where each load says can
/// ask for several places at once that it would otherwise wait for in turn.
#[inline(always)]
pub fn prefetch<T>(slice: &[T], i: usize) {
    #[cfg(target_arch = "x86_64")]
    if i < slice.len() {
        // SAFETY: the address is inside the slice, and a prefetch loads nothing the program sees.
        unsafe { std::arch::x86_64::_mm_prefetch(slice.as_ptr().add(i) as *const i8, std::arch::x86_64::_MM_HINT_T0) }
    }
}
