//! How an operation tells a person what it is doing. The CLI draws it on stderr (status lines,
//! spinners, warnings); a test or a runner over many tenants collects or drops it.

/// Keeps a spinner turning until dropped.
pub type Busy = Box<dyn std::any::Any + Send>;

/// Where progress goes.
pub trait Progress: Sync {
    /// A line about what is happening, for whoever waits.
    fn status(&self, message: &str);
    /// Something that went wrong but did not stop the operation.
    fn warn(&self, message: &str);
    /// Something a person must see and act on even when status lines are silenced (a device
    /// code to type in a browser).
    fn important(&self, message: &str) {
        self.status(message);
    }
    /// Detail for `--verbose`.
    fn debug(&self, _message: &str) {}
    /// Shows that a slow step runs until the returned guard is dropped.
    fn busy(&self, message: &str) -> Busy {
        self.status(message);
        Box::new(())
    }
}

/// Progress nobody reads: for tests and for callers that report only results.
#[derive(Clone, Copy, Debug, Default)]
pub struct Silent;

impl Progress for Silent {
    fn status(&self, _message: &str) {}
    fn warn(&self, _message: &str) {}
    fn important(&self, _message: &str) {}
}
