//! Panic isolation: a panic in a connector, a task, a converter or a transformation fails
//! that connector or task (with the panic message as its trace), like any other exception,
//! and never takes the worker down.
//!
//! * [`catch_unwind`] wraps a future, [`catch_unwind_sync`] a call; both turn a panic into a
//!   [`Panicked`].
//! * [`install_hook`] replaces the default hook (which prints to stderr) with one that logs
//!   the panic once through `tracing` and remembers its location for the [`Panicked`] that
//!   the unwinding produces on the same thread.

use std::any::Any;
use std::cell::RefCell;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

thread_local! {
    /// Where the last panic on this thread happened (set by the hook, taken by the catcher).
    static LAST_LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// A caught panic: its message and, when the hook is installed, its location.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Panicked {
    /// The panic message (`panic!`'s text, or a placeholder for a non-string payload).
    pub message: String,
    /// `file:line:column` of the panic, when known.
    pub location: Option<String>,
}

impl Panicked {
    fn from_payload(payload: &(dyn Any + Send)) -> Self {
        Panicked {
            message: payload_message(payload),
            location: LAST_LOCATION.with(|l| l.borrow_mut().take()),
        }
    }

    /// The panic as a Java-style trace: `ConnectException: <what> panicked: <message>`, then
    /// an `at <location>` line when known.
    pub fn trace(&self, what: &str) -> String {
        let mut trace = format!(
            "{}: {what} panicked: {}",
            super::CONNECT_EXCEPTION,
            self.message
        );
        if let Some(location) = &self.location {
            trace.push_str("\n\tat ");
            trace.push_str(location);
        }
        trace
    }
}

/// The text of a panic payload (`&str` or `String`, as `panic!` makes them).
pub fn payload_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "Box<dyn Any> (a panic without a message)".to_string())
}

/// Runs `f`, turning a panic into [`Panicked`].
pub fn catch_unwind_sync<T>(f: impl FnOnce() -> T) -> Result<T, Panicked> {
    std::panic::catch_unwind(AssertUnwindSafe(f)).map_err(|p| Panicked::from_payload(&*p))
}

/// A future that completes with `Err(Panicked)` if polling `inner` panics.
pub struct CatchUnwind<F> {
    inner: Pin<Box<F>>,
}

/// Wraps `future` so that a panic while polling it completes the wrapper with [`Panicked`].
/// The wrapped future is not polled again after a panic (it is dropped with the wrapper).
pub fn catch_unwind<F: Future>(future: F) -> CatchUnwind<F> {
    CatchUnwind {
        inner: Box::pin(future),
    }
}

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Panicked>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.inner.as_mut();
        // A panicking future is never polled again, so a broken invariant inside it cannot be
        // observed: asserting unwind safety is sound here.
        match std::panic::catch_unwind(AssertUnwindSafe(move || inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(p) => Poll::Ready(Err(Panicked::from_payload(&*p))),
        }
    }
}

/// Installs the process panic hook (once; later calls do nothing): each panic is logged
/// once, at ERROR through `tracing` (inside the span of the task or connector that panicked),
/// with its location and, when `RUST_BACKTRACE` asks for it, a backtrace; the location is
/// kept for [`Panicked`]. Without a global `tracing` subscriber (tests) the previous hook
/// prints it instead.
pub fn install_hook() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let location = info
                .location()
                .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
            LAST_LOCATION.with(|l| *l.borrow_mut() = location.clone());
            // Unit tests keep the default report, which the test harness shows with the
            // failing test's output.
            if cfg!(test) || !tracing::dispatcher::has_been_set() {
                previous(info);
                return;
            }
            let message = payload_message(info.payload());
            let location = location.as_deref().unwrap_or("unknown");
            let thread = std::thread::current();
            let thread = thread.name().unwrap_or("<unnamed>");
            let backtrace = std::backtrace::Backtrace::capture();
            if backtrace.status() == std::backtrace::BacktraceStatus::Captured {
                tracing::error!(panic = %message, location, thread, backtrace = %backtrace,
                    "A thread panicked.");
            } else {
                tracing::error!(panic = %message, location, thread, "A thread panicked.");
            }
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_future_becomes_panicked_with_its_message() {
        install_hook();
        let r = catch_unwind(async {
            tokio::task::yield_now().await;
            let n: u32 = "42".parse().unwrap_or(0);
            if n == 42 {
                panic!("boom {n}");
            }
            n
        })
        .await;
        let p = r.expect_err("panicked");
        assert_eq!(p.message, "boom 42");
        assert!(
            p.location
                .as_deref()
                .is_some_and(|l| l.contains("panics.rs")),
            "{p:?}"
        );
        let trace = p.trace("Task");
        assert!(trace.starts_with(
            "org.apache.kafka.connect.errors.ConnectException: Task panicked: boom 42\n\tat "
        ));
        assert_eq!(catch_unwind(async { 7 }).await, Ok(7));
    }

    #[test]
    fn a_panicking_call_becomes_panicked() {
        let p = catch_unwind_sync(|| -> u8 { panic!("static text") }).expect_err("panicked");
        assert_eq!(p.message, "static text");
        assert_eq!(catch_unwind_sync(|| 3), Ok(3));
    }
}
