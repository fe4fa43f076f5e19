#![deny(warnings)]
use std::fmt::Display;
use tracekit::{trace_async, trace_operation};

pub struct Cache<K, V> {
    entries: Vec<(K, V)>,
}

#[trace_operation(include_args, skip(value))]
impl<K: PartialEq + std::fmt::Debug, V: Clone> Cache<K, V>
where
    V: Default,
{
    const LIMIT: usize = 8;

    pub fn new() -> Self {
        Cache { entries: Vec::new() }
    }

    pub fn put(&mut self, key: K, value: V) -> Result<(), String> {
        if self.entries.len() >= Self::LIMIT {
            return Err("full".into());
        }
        self.entries.push((key, value));
        Ok(())
    }

    #[no_trace]
    pub fn peek(&self, key: &K) -> Option<&V> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub const fn limit() -> usize {
        Self::LIMIT
    }
}

pub struct Label(String);

#[trace_operation]
impl Display for Label {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

trait Store {
    fn size(&self) -> usize;
    async fn flush(&mut self) -> Result<usize, String>;
}

#[trace_async(include_result)]
impl Store for Cache<u8, u8> {
    fn size(&self) -> usize {
        self.entries.len()
    }

    async fn flush(&mut self) -> Result<usize, String> {
        let flushed = self.entries.len();
        self.entries.clear();
        Ok(flushed)
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut cache: Cache<u8, u8> = Cache::new();
    cache.put(1, 2).unwrap();
    assert_eq!(cache.peek(&1), Some(&2));
    assert_eq!(Cache::<u8, u8>::limit(), 8);
    assert_eq!(cache.size(), 1);
    assert_eq!(cache.flush().await, Ok(1));
    assert_eq!(Label("x".into()).to_string(), "x");
}
