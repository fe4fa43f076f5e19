// `#[track_caller]` methods of trait impls, with the attribute on the block:
// their bodies run in the impl of a private trait declared beside the block,
// and everything they name means what it meant in the method. The trait's
// associated types and consts, a supertrait's, the impl's lifetimes, types
// and consts with their bounds and where clause, the method's own generics,
// `impl Trait` arguments, `self: Box<Self>`, a trait reached by its path
// only, two blocks of one trait in one module, destructuring parameters:
// all of them compile.
use tracekit::trace_operation;

mod shapes {
    pub trait Named {
        type Name;
        const PREFIX: &'static str;
        fn name(&self) -> Self::Name;
    }

    pub trait Sized2<const N: usize>: Named {
        fn size(&self) -> usize;
    }
}

struct Grid<'a, T, const N: usize> {
    cells: [&'a T; N],
}

#[trace_operation]
impl<'a, T, const N: usize> shapes::Named for Grid<'a, T, N>
where
    T: std::fmt::Debug + 'a,
{
    type Name = String;
    const PREFIX: &'static str = "grid";

    #[track_caller]
    fn name(&self) -> Self::Name {
        format!("{}{}{:?}", Self::PREFIX, N, self.cells.first())
    }
}

#[trace_operation]
impl<'a, T: std::fmt::Debug + 'a, const N: usize> shapes::Sized2<N> for Grid<'a, T, N> {
    #[track_caller]
    fn size(&self) -> usize {
        let name: <Self as shapes::Named>::Name = shapes::Named::name(self);
        name.len() + N + std::panic::Location::caller().line() as usize
    }
}

trait Store {
    type Error;
    fn put<K: AsRef<str>>(&mut self, key: K, value: impl Into<u64>) -> Result<usize, Self::Error>;
    fn boxed(self: Box<Self>) -> Result<usize, Self::Error>;
    fn maybe(&self, key: &str) -> Option<u64>;
}

struct Memory(Vec<(String, u64)>);
struct Disk;

#[trace_operation]
impl Store for Memory {
    type Error = anyhow::Error;

    #[track_caller]
    fn put<K: AsRef<str>>(&mut self, key: K, value: impl Into<u64>) -> Result<usize, Self::Error> {
        anyhow::ensure!(!key.as_ref().is_empty(), "empty key");
        self.0.push((key.as_ref().to_owned(), value.into()));
        Ok(self.0.len())
    }

    #[track_caller]
    fn boxed(self: Box<Self>) -> Result<usize, Self::Error> {
        anyhow::ensure!(!self.0.is_empty(), "nothing stored");
        Ok(self.0.len())
    }

    #[track_caller]
    fn maybe(&self, key: &str) -> Option<u64> {
        let found = self.0.iter().find(|(stored, _)| stored == key)?;
        Some(found.1)
    }
}

#[trace_operation]
impl Store for Disk {
    type Error = String;

    #[track_caller]
    fn put<K: AsRef<str>>(&mut self, key: K, value: impl Into<u64>) -> Result<usize, Self::Error> {
        if key.as_ref().is_empty() {
            return Err("empty key".into());
        }
        Ok(value.into() as usize)
    }

    #[track_caller]
    fn boxed(self: Box<Self>) -> Result<usize, Self::Error> {
        Ok(0)
    }

    #[track_caller]
    fn maybe(&self, _key: &str) -> Option<u64> {
        None
    }
}

// Destructuring parameters: the body's fn takes them whole, unless
// `include_args` records a name they bind (then the body stays inline).
#[tracekit::trace_operation]
#[track_caller]
fn spread((a, b): (u32, u32), [first, ..]: [u8; 3], _: bool) -> anyhow::Result<u32> {
    anyhow::ensure!(a < b, "unordered");
    Ok(a + b + u32::from(first))
}

#[tracekit::trace_operation(include_args)]
#[track_caller]
fn spread_recorded((a, b): (u32, u32), ref c: String) -> anyhow::Result<usize> {
    anyhow::ensure!(a < b, "unordered");
    Ok(c.len())
}

fn main() {
    let _ = spread((1, 2), [3, 4, 5], true);
    let _ = spread_recorded((1, 2), String::new());
    use shapes::{Named as _, Sized2 as _};
    let one = 1_u8;
    let grid = Grid { cells: [&one, &one] };
    let _ = grid.name();
    let _ = grid.size();
    let mut memory = Memory(Vec::new());
    let _ = memory.put("a", 1_u8);
    let _ = memory.maybe("a");
    let _ = Box::new(memory).boxed();
    let mut disk = Disk;
    let _ = disk.put(String::from("b"), 2_u32);
    let _ = disk.maybe("b");
    let _ = Box::new(disk).boxed();
}
