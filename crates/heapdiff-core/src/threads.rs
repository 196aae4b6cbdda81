//! Work on scoped threads.

/// A scoped thread's result. A panic on the thread resurfaces on the joining one, and from
/// there reaches the binding, which turns it into an error rather than let it cross into Node.
pub fn join<T>(thread: std::thread::ScopedJoinHandle<T>) -> T {
    thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Runs `a` and `b`: at once if `parallel` (`a` on a scoped thread, `b` on this one), else in
/// turn.
pub fn both<A: Send, B>(parallel: bool, a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B) -> (A, B) {
    if parallel {
        std::thread::scope(|scope| {
            let a = scope.spawn(a);
            let b = b();
            (join(a), b)
        })
    } else {
        (a(), b())
    }
}
