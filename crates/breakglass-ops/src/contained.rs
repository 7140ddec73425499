//! Panics that a caller catches. A third-party library may panic on input it did not expect
//! (a security key's malformed answer) rather than answer an error; breakglass catches those
//! around the call and turns them into an error a person can act on. The CLI's panic hook,
//! which treats every other panic as a bug and exits, asks [`panic_is_contained`] first.

use std::cell::Cell;

thread_local! {
    static CONTAINED: Cell<bool> = const { Cell::new(false) };
}

/// Whether the panic unwinding on this thread happens inside [`contain`], which catches it.
pub fn panic_is_contained() -> bool {
    CONTAINED.with(Cell::get)
}

/// Runs `run`, catching a panic in it.
pub fn contain<T>(run: impl FnOnce() -> T) -> std::thread::Result<T> {
    let outer = CONTAINED.with(|c| c.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run));
    CONTAINED.with(|c| c.set(outer));
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contained_panic_is_caught_and_known_as_contained_while_it_unwinds() {
        let seen = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = seen.clone();
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |_| {
            flag.store(panic_is_contained(), std::sync::atomic::Ordering::SeqCst);
        }));
        let result = contain(|| -> u8 { panic!("a library's surprise") });
        std::panic::set_hook(previous);
        assert!(result.is_err());
        assert!(seen.load(std::sync::atomic::Ordering::SeqCst));
        assert!(!panic_is_contained());
    }
}
