//! The process's memory: freed memory handed back to the OS, fresh memory mapped at once, loads
//! asked for ahead.

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
    let mut v = with_pages(len);
    v.resize(len, T::default());
    v
}

/// Room for `capacity` elements, its pages mapped at once (see [`map_spare`]): for an array
/// that will be filled whole.
pub fn with_pages<T>(capacity: usize) -> Vec<T> {
    let mut v = Vec::with_capacity(capacity);
    map_spare(&mut v);
    v
}

/// Maps now, in one call, the pages wholly inside `v`'s spare capacity, which is about to be
/// written (only that: they take memory at once). Fresh memory is mapped a page at a time
/// as it is first written, and on a virtual machine each such fault costs a trip through the
/// kernel: 2 µs a page on bench's machine, against 1.2 µs mapped in bulk (a diff of bench's
/// medium snapshots maps ~300,000 pages). Linux 5.14 on; elsewhere, and on error, the pages
/// are mapped as they are written, as before.
pub fn map_spare<T>(v: &mut Vec<T>) {
    #[cfg(target_os = "linux")]
    {
        extern "C" {
            fn madvise(addr: *mut std::ffi::c_void, len: usize, advice: i32) -> i32;
        }
        const MADV_POPULATE_WRITE: i32 = 23;
        const PAGE: usize = 4096;
        let spare = v.spare_capacity_mut();
        let (start, end) = (spare.as_ptr() as usize, spare.as_ptr() as usize + std::mem::size_of_val(spare));
        let (first, last) = (start.next_multiple_of(PAGE), end / PAGE * PAGE);
        if last > first {
            // SAFETY: the range is pages of this vector's own allocation, unused as yet; the
            // advice changes no byte of them (fresh ones read as zeros, as before).
            unsafe {
                madvise(first as *mut std::ffi::c_void, last - first, MADV_POPULATE_WRITE);
            }
        }
    }
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

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// How many of the pages wholly inside `v`'s capacity are resident.
    fn resident<T>(v: &Vec<T>) -> (usize, usize) {
        extern "C" {
            fn mincore(addr: *mut std::ffi::c_void, len: usize, vec: *mut u8) -> i32;
        }
        let start = (v.as_ptr() as usize).next_multiple_of(4096);
        let end = (v.as_ptr() as usize + v.capacity() * std::mem::size_of::<T>()) / 4096 * 4096;
        let mut pages = vec![0u8; (end - start) / 4096];
        // SAFETY: the range is pages of `v`'s allocation; mincore writes a byte per page.
        assert_eq!(unsafe { mincore(start as *mut std::ffi::c_void, end - start, pages.as_mut_ptr()) }, 0);
        (pages.iter().filter(|&&p| p & 1 == 1).count(), pages.len())
    }

    /// Whether the kernel has `MADV_POPULATE_WRITE` (Linux 5.14 on); before, the pages are
    /// mapped as they are written, and only the values are checked.
    fn kernel_maps_in_bulk() -> bool {
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
        let mut parts = release.trim().split(|c: char| !c.is_ascii_digit()).map(|p| p.parse::<u32>().unwrap_or(0));
        (parts.next().unwrap_or(0), parts.next().unwrap_or(0)) >= (5, 14)
    }

    #[test]
    fn with_pages_maps_its_room_at_once_and_changes_nothing() {
        let bulk = kernel_maps_in_bulk();
        // (Resident pages and pages, or none of either on a kernel that maps as written.)
        let pages_of = |v: &Vec<u32>| if bulk { resident(v) } else { (0, 0) };
        let v: Vec<u32> = with_pages(8 << 20);
        assert_eq!(v.len(), 0);
        let (mapped, pages) = pages_of(&v);
        assert!(!bulk || pages >= 8191, "{pages}");
        assert_eq!(mapped, pages);
        let z: Vec<u32> = zeroed(3 << 20);
        assert!(z.iter().all(|&x| x == 0));
        assert_eq!(pages_of(&z).0, pages_of(&z).1);
        // Some used, the rest spare: the used part keeps its values.
        let mut w: Vec<u32> = (0..1000u32).collect();
        w.reserve(1 << 20);
        map_spare(&mut w);
        assert!(w.iter().copied().eq(0..1000));
        assert_eq!(pages_of(&w).0, pages_of(&w).1);
    }
}
