//! The spans of annotated functions: what `#[trace_operation]`,
//! `#[trace_async]` and `#[trace_performance]` expand to calls of, through
//! `__private`.

pub(crate) mod boxed;
pub(crate) mod guard;
pub(crate) mod performance;
pub(crate) mod question_mark;
pub(crate) mod values;
