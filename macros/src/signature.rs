//! What a function's signature says, read from its tokens: whether it
//! returns a value, a future (by which name) or nothing, whether `?` can
//! leave it, and its return type as a local can be written with.

use crate::model::Shape;
use syn::{GenericArgument, PathArguments, ReturnType, Type, TypeParamBound};

/// How a function's span is kept, from its signature alone.
pub fn signature_shape(output: &ReturnType, is_async: bool) -> Shape {
    if is_async {
        return Shape::Async;
    }
    match output {
        ReturnType::Default => Shape::Unit,
        ReturnType::Type(_, ty) if matches!(ungrouped(ty), Type::Never(_)) => Shape::Unit,
        ReturnType::Type(_, ty) => returned_future(ty).map_or(Shape::Value, |named| Shape::Future { named }),
    }
}

/// Whether the return type may be a future under another name (an alias,
/// `Self::Future`): a path other than the standard types that are plainly
/// values. Those, tuples and references get the error that the function
/// does not return a future, instead of a cascade of type errors.
pub fn may_name_a_future(output: &ReturnType) -> bool {
    const VALUES: [&str; 22] = [
        "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize", "f32", "f64", "bool",
        "char", "str", "String", "Vec", "Option", "Result", "HashMap",
    ];
    let ReturnType::Type(_, ty) = output else { return false };
    match ungrouped(ty) {
        Type::Path(path) => {
            path.qself.is_some()
                || path.path.segments.last().is_some_and(|last| !VALUES.iter().any(|value| last.ident == value))
        }
        _ => false,
    }
}

/// `#[tokio::main]` and `#[tokio::test]` above a tracekit attribute hand it
/// their expansion: a synchronous fn whose body starts with
/// `let body = async { .. };` and blocks on it. The span covers that call,
/// and so the whole async body, which runs on this thread.
pub fn is_runtime_entry(body: &proc_macro2::Group) -> bool {
    let start: Vec<String> = body.stream().into_iter().take(4).map(|token| token.to_string()).collect();
    start == ["let", "body", "=", "async"]
}

/// `Some(named)` when `ty` is a future: `impl Future<..> (+ ..)` (not
/// named), or a boxed one: `Pin<Box<dyn Future<..> (+ ..)>>`, `BoxFuture`,
/// `LocalBoxFuture`.
pub fn returned_future(ty: &Type) -> Option<bool> {
    let is_future_bound = |bound: &TypeParamBound| match bound {
        TypeParamBound::Trait(bound) => bound.path.segments.last().is_some_and(|segment| segment.ident == "Future"),
        _ => false,
    };
    match ungrouped(ty) {
        Type::ImplTrait(bounds) if bounds.bounds.iter().any(is_future_bound) => Some(false),
        Type::Paren(inner) => returned_future(&inner.elem),
        Type::Path(path) => {
            let last = path.path.segments.last()?;
            if last.ident == "BoxFuture" || last.ident == "LocalBoxFuture" {
                return Some(true);
            }
            let boxed_dyn_future = last.ident == "Pin"
                && single_type_argument(&last.arguments).is_some_and(|inner| match inner {
                    Type::Path(inner) => inner.path.segments.last().is_some_and(|segment| {
                        segment.ident == "Box"
                            && single_type_argument(&segment.arguments).is_some_and(|object| {
                                matches!(object, Type::TraitObject(object) if object.bounds.iter().any(is_future_bound))
                            })
                    }),
                    _ => false,
                });
            boxed_dyn_future.then_some(true)
        }
        _ => None,
    }
}

pub fn single_type_argument(arguments: &PathArguments) -> Option<&Type> {
    match arguments {
        PathArguments::AngleBracketed(generic) => generic.args.iter().find_map(|argument| match argument {
            GenericArgument::Type(ty) => Some(ty),
            _ => None,
        }),
        _ => None,
    }
}

/// No return type, or `-> ()`.
pub fn returns_unit(output: &ReturnType) -> bool {
    match output {
        ReturnType::Default => true,
        ReturnType::Type(_, ty) => matches!(ungrouped(ty), Type::Tuple(tuple) if tuple.elems.is_empty()),
    }
}

/// A type as written, out of the invisible groups a `macro_rules!`
/// fragment (`$ret:ty`) arrives in.
pub fn ungrouped(ty: &Type) -> &Type {
    match ty {
        Type::Group(group) => ungrouped(&group.elem),
        other => other,
    }
}

/// Whether the declared return type takes `?` by its name: `Result` (and
/// aliases ending in it: `io::Result`, `anyhow::Result`), `Option`, `Poll`,
/// `ControlFlow`. Another name may take it too; it is then rewritten (see
/// `body.rs`), which is as correct, with other words for a failed conversion.
pub fn takes_question_mark(output: &ReturnType) -> bool {
    let ReturnType::Type(_, ty) = output else { return false };
    let Type::Path(path) = ungrouped(ty) else { return false };
    path.path.segments.last().is_some_and(|last| {
        let name = last.ident.to_string();
        name.ends_with("Result") || ["Option", "Poll", "ControlFlow"].contains(&name.as_str())
    })
}

/// The declared return type as the type of a `let` or a closure can be
/// written: each nested `impl Trait` replaced by `_`, so that
/// `Result<impl Iterator<Item = u32>, Box<dyn Error>>` still fixes the error
/// type for `?`. `None` when the whole type is an `impl Trait` (nothing is
/// left to fix) or `!`.
pub fn writable_return(output: &ReturnType) -> Option<Type> {
    struct Erase;
    impl syn::visit_mut::VisitMut for Erase {
        fn visit_type_mut(&mut self, ty: &mut Type) {
            match ty {
                Type::ImplTrait(_) => *ty = syn::parse_quote!(_),
                _ => syn::visit_mut::visit_type_mut(self, ty),
            }
        }
    }
    let ReturnType::Type(_, ty) = output else { return None };
    if matches!(ungrouped(ty), Type::ImplTrait(_) | Type::Never(_)) {
        return None;
    }
    let mut ty = (**ty).clone();
    syn::visit_mut::VisitMut::visit_type_mut(&mut Erase, &mut ty);
    Some(ty)
}
