// `#[track_caller]` functions of a generic impl block annotated as a whole:
// the attribute sees the block's parameters, so one that uses `Item` (a
// name no heuristic would take for a type parameter) keeps its body in the
// function, and it compiles.
use tracekit::trace_operation;

struct Holder<Item>(Item);

#[trace_operation]
impl<Item: Clone, const N: usize> Holder<[Item; N]> {
    #[track_caller]
    fn first(items: &[Item; N]) -> Result<Item, String> {
        items.first().cloned().ok_or_else(|| String::from("empty"))
    }

    #[track_caller]
    fn size() -> Result<usize, String> {
        Ok(N)
    }
}

fn main() {
    let _ = Holder::<[u8; 2]>::first(&[1, 2]);
    let _ = Holder::<[u8; 2]>::size();
}
