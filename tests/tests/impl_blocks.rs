//! An attribute on an `impl` block instruments every function in it.

use tracekit::testing::{capture, capture_async};
use tracekit::{trace_async, trace_operation, trace_performance};

struct Repo<T> {
    items: Vec<T>,
}

#[trace_operation(include_args)]
impl<T: Clone + std::fmt::Debug> Repo<T> {
    fn new() -> Self {
        Repo { items: Vec::new() }
    }

    fn add(&mut self, item: T) -> usize {
        self.items.push(item);
        self.items.len()
    }

    // Its own attribute overrides the block's options.
    #[trace_operation(name = "repo.get", include_result)]
    fn get(&self, index: usize) -> Option<T> {
        self.items.get(index).cloned()
    }

    #[no_trace]
    fn len(&self) -> usize {
        self.items.len()
    }

    async fn load(&self, index: usize) -> Result<T, String> {
        self.get(index).ok_or_else(|| format!("nothing at {index}"))
    }

    const fn capacity_hint() -> usize {
        16
    }
}

#[test]
fn every_function_gets_a_span_named_type_method() {
    let ((), spans) = capture(|| {
        let mut repo = Repo::new();
        repo.add("a");
        assert_eq!(repo.get(0), Some("a"));
        assert_eq!(repo.len(), 1);
        assert_eq!(Repo::<u8>::capacity_hint(), 16);
    });
    assert_eq!(spans.names(), ["Repo::new", "Repo::add", "repo.get"]);
    let add = spans.get("Repo::add");
    assert_eq!(add.str_attribute("arg.item"), Some("\"a\""));
    assert_eq!(add.str_attribute("code.function.name"), Some("impl_blocks::Repo::add"));
    assert_eq!(spans.get("repo.get").str_attribute("result"), Some("Some(\"a\")"));
}

#[tokio::test]
async fn async_methods_of_the_block_are_traced_too() {
    let repo = Repo { items: vec![1_u8] };
    let (result, spans) = capture_async(repo.load(3)).await;
    assert!(result.is_err());
    let load = spans.get("Repo::load");
    assert_eq!(load.error_message(), Some("nothing at 3"));
    spans.assert_child_of("repo.get", "Repo::load");
}

trait Shape {
    fn area(&self) -> f64;
    async fn describe(&self) -> String;
}

struct Square(f64);

#[trace_async]
impl Shape for Square {
    fn area(&self) -> f64 {
        self.0 * self.0
    }

    async fn describe(&self) -> String {
        format!("square of area {}", self.area())
    }
}

#[tokio::test]
async fn trace_async_on_a_trait_impl_traces_its_async_functions() {
    let (text, spans) = capture_async(Square(2.0).describe()).await;
    assert_eq!(text, "square of area 4");
    assert_eq!(spans.names(), ["Square::describe"], "the sync fn is left alone by trace_async");
}

struct Job;

#[trace_performance(threshold_ms = 1)]
impl Job {
    fn run(&self) {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

#[test]
fn trace_performance_on_a_block_measures_each_function() {
    let ((), spans) = capture(|| Job.run());
    assert!(spans.get("Job::run").event("performance.threshold_exceeded").is_some());
}

mod reexported {
    /// A crate that re-exports tracekit under another name.
    pub mod telemetry {
        pub use tracekit::*;
    }
}

#[reexported::telemetry::trace_operation(crate = reexported::telemetry)]
fn through_a_reexport() {}

#[test]
fn crate_points_the_expansion_at_a_reexport() {
    let ((), spans) = capture(through_a_reexport);
    assert_eq!(spans.names(), ["through_a_reexport"]);
}

#[trace_operation(attributes(tracekit::semconv::attribute::DB_SYSTEM_NAME = "postgresql", "db.query.text" = sql))]
fn query(sql: &str) -> usize {
    sql.len()
}

#[test]
fn semantic_convention_constants_are_attribute_keys() {
    let (_, spans) = capture(|| query("SELECT 1"));
    let span = spans.get("query");
    assert_eq!(span.str_attribute("db.system.name"), Some("postgresql"));
    assert_eq!(span.str_attribute("db.query.text"), Some("SELECT 1"));
}

mod repo {
    use tracekit::{trace_async, trace_operation};

    pub struct Users;
    pub struct Orders;
    pub struct Cache<T>(pub T);

    pub trait Load {
        fn load_one(&self) -> u32;
    }

    impl Users {
        #[trace_operation]
        pub fn load(&self) -> u32 {
            1
        }
    }

    impl Orders {
        #[trace_operation]
        pub fn load(&self) -> u32 {
            2
        }

        #[trace_async]
        pub async fn load_async(&self) -> u32 {
            3
        }
    }

    impl<T: Copy> Cache<T> {
        #[trace_operation]
        pub fn get(&self) -> T {
            self.0
        }
    }

    impl Load for Users {
        #[trace_operation]
        fn load_one(&self) -> u32 {
            4
        }
    }
}

/// A method annotated on its own is `module::Type::method`, as through its
/// impl block: two types' `load` stay apart.
#[tokio::test]
async fn a_method_annotated_on_its_own_is_named_with_its_type() {
    use repo::Load as _;
    let (_, spans) = tracekit::testing::capture_async(async {
        repo::Users.load();
        repo::Orders.load();
        repo::Orders.load_async().await;
        repo::Cache(5u8).get();
        repo::Users.load_one();
    })
    .await;
    let mut functions: Vec<&str> = spans.iter().map(|span| span.str_attribute("code.function.name").unwrap()).collect();
    functions.sort_unstable();
    assert_eq!(
        functions,
        [
            "impl_blocks::repo::Cache::get",
            "impl_blocks::repo::Orders::load",
            "impl_blocks::repo::Orders::load_async",
            "impl_blocks::repo::Users::load",
            "impl_blocks::repo::Users::load_one",
        ]
    );
}
