//! Panic messages for the spans a panic unwinds through.
//!
//! A span guard learns of a panic only in its `Drop` (through
//! `std::thread::panicking`), after the payload is out of reach; a chained
//! panic hook keeps the last message of each thread for it. The previous hook
//! still runs, so the program's panic output is unchanged.

#[cfg(feature = "pipeline")]
use std::any::Any;
use std::cell::RefCell;
#[cfg(feature = "pipeline")]
use std::sync::Once;

thread_local! {
    static LAST_MESSAGE: RefCell<Option<String>> = const { RefCell::new(None) };
}

#[cfg(feature = "pipeline")]
pub(crate) fn install_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = message_of(info.payload());
            let _ = LAST_MESSAGE.try_with(|last| *last.borrow_mut() = Some(message));
            previous(info);
        }));
    });
}

/// A panic's message, from its payload: what `panic!` was given.
#[cfg(feature = "pipeline")]
pub(crate) fn message_of(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "Box<dyn Any>".to_owned())
}

/// The message of the panic this thread is unwinding from.
pub(crate) fn current_message() -> String {
    LAST_MESSAGE
        .try_with(|last| last.borrow().clone())
        .ok()
        .flatten()
        .unwrap_or_else(|| "panicked (message unavailable: the panic hook was replaced)".to_owned())
}
