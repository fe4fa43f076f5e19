//! Compile-pass and compile-fail tests live in `tests/ui.rs`.
