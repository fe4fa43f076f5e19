//! Turning arguments, results and errors into span values, chosen by type at
//! compile time with method resolution ("autoref specialization"):
//! `(&ArgRef(&x)).__tracekit_value()` finds [`ValueByScalar`] when `x` is an
//! integer, float, bool or string, and [`ValueByDebug`] otherwise.

use crate::annotated::guard::{NothingToRecord, WhatToRecord};
use opentelemetry::{StringValue, Value};
use std::borrow::Cow;
use std::fmt::{Debug, Display};
use std::task::Poll;

/// A borrowed argument or result on its way to becoming a span value.
pub struct ArgRef<'a, T: ?Sized>(pub &'a T);

/// Scalars keep their OpenTelemetry type.
pub trait ValueByScalar {
    /// The value to record.
    fn __tracekit_value(&self) -> Value;
}

/// Anything else is recorded through `Debug`.
pub trait ValueByDebug<T: ?Sized> {
    /// The value to record.
    fn __tracekit_value(&self) -> Value
    where
        T: Recordable;
}

/// The bound behind the "cannot be recorded" error, so that it names the
/// problem and points at the argument.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be recorded on the span: it is not an integer, float, bool or string, and not `Debug`",
    label = "recorded on the span here",
    note = "derive or implement `Debug` for `{Self}`, or stop recording it: `skip(name)` for an argument, no `include_result` for a result"
)]
pub trait Recordable {
    /// The value recorded through `Debug`.
    fn __tracekit_debug_value(&self) -> Value;
}

impl<T: Debug + ?Sized> Recordable for T {
    fn __tracekit_debug_value(&self) -> Value {
        Value::String(crate::support::text::bounded(|out| write!(out, "{self:?}")).into())
    }
}

impl<T: ?Sized> ValueByDebug<T> for &ArgRef<'_, T> {
    fn __tracekit_value(&self) -> Value
    where
        T: Recordable,
    {
        self.0.__tracekit_debug_value()
    }
}

macro_rules! scalar {
    ($($ty:ty => |$v:ident| $convert:expr;)*) => {$(
        impl ValueByScalar for ArgRef<'_, $ty> {
            #[inline]
            fn __tracekit_value(&self) -> Value {
                let $v = self.0;
                $convert
            }
        }
    )*};
}

scalar! {
    bool => |v| Value::Bool(*v);
    i8 => |v| Value::I64(i64::from(*v));
    i16 => |v| Value::I64(i64::from(*v));
    i32 => |v| Value::I64(i64::from(*v));
    i64 => |v| Value::I64(*v);
    u8 => |v| Value::I64(i64::from(*v));
    u16 => |v| Value::I64(i64::from(*v));
    u32 => |v| Value::I64(i64::from(*v));
    u64 => |v| wide_integer(i64::try_from(*v), v);
    usize => |v| wide_integer(i64::try_from(*v), v);
    isize => |v| wide_integer(i64::try_from(*v), v);
    i128 => |v| wide_integer(i64::try_from(*v), v);
    u128 => |v| wide_integer(i64::try_from(*v), v);
    f32 => |v| Value::F64(f64::from(*v));
    f64 => |v| Value::F64(*v);
    str => |v| Value::String(StringValue::from(bounded_str(v)));
    String => |v| Value::String(StringValue::from(bounded_str(v)));
    Cow<'_, str> => |v| Value::String(StringValue::from(bounded_str(v)));
}

/// A string argument is copied only up to the length limit.
fn bounded_str(text: &str) -> String {
    crate::support::text::bounded(|out| out.write_str(text))
}

/// OpenTelemetry integers are i64; a larger one is kept exact as a string.
fn wide_integer<E>(narrowed: Result<i64, E>, original: &impl Display) -> Value {
    narrowed.map_or_else(|_| Value::String(original.to_string().into()), Value::I64)
}

impl<T: ?Sized> ValueByScalar for ArgRef<'_, &T>
where
    for<'a> ArgRef<'a, T>: ValueByScalar,
{
    #[inline]
    fn __tracekit_value(&self) -> Value {
        ArgRef(*self.0).__tracekit_value()
    }
}

impl<T: ?Sized> ValueByScalar for ArgRef<'_, &mut T>
where
    for<'a> ArgRef<'a, T>: ValueByScalar,
{
    #[inline]
    fn __tracekit_value(&self) -> Value {
        ArgRef(&**self.0).__tracekit_value()
    }
}

/// A borrowed error on its way to becoming a span's error message.
pub struct ErrRef<'a, T: ?Sized>(pub &'a T);

/// Errors are described by `Display` first...
pub trait ErrorByDisplay {
    /// The error message.
    fn __tracekit_message(&self) -> String;
}

/// ...then by `Debug`...
pub trait ErrorByDebug {
    /// The error message.
    fn __tracekit_message(&self) -> String;
}

/// ...and, failing both, by their type's name.
pub trait ErrorByName {
    /// The error message.
    fn __tracekit_message(&self) -> String;
}

impl<T: Display + ?Sized> ErrorByDisplay for &ErrRef<'_, T> {
    fn __tracekit_message(&self) -> String {
        crate::support::text::bounded(|out| write!(out, "{}", self.0))
    }
}

impl<T: Debug + ?Sized> ErrorByDebug for &&ErrRef<'_, T> {
    fn __tracekit_message(&self) -> String {
        crate::support::text::bounded(|out| write!(out, "{:?}", self.0))
    }
}

impl<T: ?Sized> ErrorByName for ErrRef<'_, T> {
    fn __tracekit_message(&self) -> String {
        std::any::type_name::<T>().to_owned()
    }
}

/// The type name of a value, for `error.type` and `exception.type`.
pub fn type_name_of<T: ?Sized>(_: &T) -> &'static str {
    std::any::type_name::<T>()
}

/// A borrowed return value, split into success and failure by its type.
pub struct Returned<'a, T: ?Sized>(pub &'a T);

/// Stands for the error of a return value that is not a `Result`; never made.
pub enum NotAnError {}

impl Display for NotAnError {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {}
    }
}

/// A `Result`, whatever it is called (`io::Result`, an alias...): `Err` fails the span.
pub trait OutcomeOfResult {
    /// The success value.
    type Ok: ?Sized;
    /// The error.
    type Err: ?Sized;
    /// The value split into success and failure.
    fn __tracekit_outcome(&self) -> Result<&Self::Ok, &Self::Err>;

    /// `record`, which records a failure: a `Result` may have one.
    fn __tracekit_if_fallible<R: WhatToRecord>(&self, record: R) -> R {
        record
    }
}

/// Any other value is a success.
pub trait OutcomeOfValue {
    /// The success value.
    type Ok: ?Sized;
    /// The value as a success.
    fn __tracekit_outcome(&self) -> Result<&Self::Ok, &NotAnError>;

    /// Nothing in place of `record`, which records a failure: known by the
    /// value's type to have none.
    fn __tracekit_if_fallible<R: WhatToRecord>(&self, _record: R) -> NothingToRecord {
        NothingToRecord
    }
}

impl<T, E> OutcomeOfResult for Returned<'_, Result<T, E>> {
    type Ok = T;
    type Err = E;
    fn __tracekit_outcome(&self) -> Result<&T, &E> {
        self.0.as_ref()
    }
}

/// A `poll` fn's `Poll::Ready(Err(..))` fails the span; the rest succeed,
/// recorded whole by `include_result`.
impl<T, E> OutcomeOfResult for Returned<'_, Poll<Result<T, E>>> {
    type Ok = Poll<Result<T, E>>;
    type Err = E;
    fn __tracekit_outcome(&self) -> Result<&Self::Ok, &E> {
        match self.0 {
            Poll::Ready(Err(error)) => Err(error),
            other => Ok(other),
        }
    }
}

/// A stream's `Poll::Ready(Some(Err(..)))` fails the span.
impl<T, E> OutcomeOfResult for Returned<'_, Poll<Option<Result<T, E>>>> {
    type Ok = Poll<Option<Result<T, E>>>;
    type Err = E;
    fn __tracekit_outcome(&self) -> Result<&Self::Ok, &E> {
        match self.0 {
            Poll::Ready(Some(Err(error))) => Err(error),
            other => Ok(other),
        }
    }
}

impl<T: ?Sized> OutcomeOfValue for &Returned<'_, T> {
    type Ok = T;
    fn __tracekit_outcome(&self) -> Result<&T, &NotAnError> {
        Ok(self.0)
    }
}

/// What `redact(..)` records in place of the argument.
pub fn redacted() -> opentelemetry::Value {
    opentelemetry::Value::String(opentelemetry::StringValue::from("[REDACTED]"))
}
