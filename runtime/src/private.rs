//! What the attribute expansions call, re-exported from where it lives.
//! Not a public API: it changes with the macros, which pin this crate's
//! exact version. No module of the runtime imports from here.

pub use crate::annotated::boxed::{call_once, FinishValue, Finishing, ReturnedFuture};
pub use crate::annotated::guard::{current_parent, AsyncSpan, IntoParent, NothingToRecord, SyncSpan, WhatToRecord};
pub use crate::annotated::question_mark::{FromError, QuestionMark};
pub use crate::annotated::values::{
    redacted, type_name_of, ArgRef, ErrRef, ErrorByDebug, ErrorByDisplay, ErrorByName, NotAnError, OutcomeOfResult,
    OutcomeOfValue, Recordable, Returned, ValueByDebug, ValueByScalar,
};
pub use crate::facade::callsite::Callsite;
pub use crate::facade::recorder::Recorder;
pub use core::ops::ControlFlow;
pub use opentelemetry::trace::SpanKind;
