//! Work on scoped threads.

/// A scoped thread's result. A panic on the thread resurfaces on the joining one, and from
/// there reaches the binding, which turns it into an error rather than let it cross into Node.
pub fn join<T>(thread: std::thread::ScopedJoinHandle<T>) -> T {
    thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}
