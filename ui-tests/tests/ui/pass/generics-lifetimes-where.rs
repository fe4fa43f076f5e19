#![deny(warnings)]
use std::fmt::Debug;
use tracekit::trace_operation;

#[trace_operation(include_args, include_result)]
fn longest<'a, 'b: 'a>(left: &'a str, right: &'b str) -> &'a str {
    if left.len() >= right.len() {
        left
    } else {
        right
    }
}

#[trace_operation(include_args)]
fn describe<T, const N: usize>(items: [T; N]) -> usize
where
    T: Debug + Clone,
{
    items.len()
}

#[trace_operation(include_args)]
fn with_impl_trait(values: impl IntoIterator<Item = u32> + Debug, label: impl AsRef<str> + Debug) -> u32 {
    let _ = label.as_ref();
    values.into_iter().sum()
}

#[trace_operation]
fn first<T: Copy>(slice: &[T]) -> Option<&T> {
    slice.first()
}

#[trace_operation(include_result)]
fn iterate(limit: u32) -> impl Iterator<Item = u32> {
    0..limit
}

#[trace_operation]
fn parse_all<'s>(inputs: &'s [&'s str]) -> Result<Vec<u32>, std::num::ParseIntError> {
    inputs.iter().map(|s| s.parse()).collect()
}

fn main() {
    assert_eq!(longest("ab", "c"), "ab");
    assert_eq!(describe([1, 2, 3]), 3);
    assert_eq!(with_impl_trait(vec![1, 2], "x"), 3);
    assert_eq!(first(&[4, 5]), Some(&4));
    assert_eq!(iterate(3).count(), 3);
    assert_eq!(parse_all(&["1", "2"]).unwrap(), [1, 2]);
}
