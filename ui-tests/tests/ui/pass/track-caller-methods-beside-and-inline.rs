// `#[track_caller]` methods that cannot nest their body in a fn: in an
// inherent impl (the block says so, or the method's `pub`) the body runs in
// a hidden method beside them; in a trait's impl annotated on the block, in
// a method of a trait declared beside it; annotated alone with no visibility
// to tell, it stays in the function. All of them compile, `mut self` and the
// impl's generics included.
use tracekit::trace_operation;

struct Counter<T> {
    step: T,
}

trait Bump {
    fn bump(&mut self, by: u32) -> Result<u32, String>;
}

#[trace_operation]
impl<T: Into<u32> + Copy> Counter<T> {
    #[track_caller]
    fn add(mut self, by: u32) -> Result<u32, String> {
        self.step = self.step;
        Ok(self.step.into() + by)
    }
}

impl<T: Into<u32> + Copy> Counter<T> {
    #[track_caller]
    #[trace_operation]
    pub fn twice(&self, by: u32) -> Result<u32, String> {
        let step: T = self.step;
        Ok(step.into() * 2 + by)
    }

    #[track_caller]
    #[trace_operation]
    fn unknown(&self) -> Result<Self, String> {
        Ok(Counter { step: self.step })
    }
}

impl<T: Into<u32> + Copy> Bump for Counter<T> {
    #[track_caller]
    #[trace_operation]
    fn bump(&mut self, by: u32) -> Result<u32, String> {
        Ok(self.step.into() + by)
    }
}

#[trace_operation]
impl<T: Into<u32> + Copy> Bump for Vec<T> {
    #[track_caller]
    fn bump(&mut self, by: u32) -> Result<u32, String> {
        Ok(self.len() as u32 + by)
    }
}

fn main() {
    let mut counter = Counter { step: 1_u8 };
    let _ = counter.twice(1);
    let _ = counter.unknown();
    let _ = counter.bump(1);
    let _ = vec![1_u8].bump(1);
    let _ = counter.add(1);
}
