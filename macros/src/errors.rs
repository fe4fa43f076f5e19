//! The errors of one expansion, gathered so that a build shows them all.

/// Collects errors so that all of them are reported together.
#[derive(Default)]
pub struct Errors(Option<syn::Error>);

impl Errors {
    pub fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(first) => first.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// How many errors are held; a check compares it before and after.
    pub fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |error| error.into_iter().count())
    }

    pub fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}
