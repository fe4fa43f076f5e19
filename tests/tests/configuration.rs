//! Configuration from the environment and from code, and the process-wide
//! installation. Installation is global, so those tests take a lock.

use std::collections::HashMap;
use std::sync::Mutex;
use tracekit::testing::{self, capture};
use tracekit::{trace_operation, Config, ConfigError, ConsoleFormat, Exporter, InitError};

static INSTALL: Mutex<()> = Mutex::new(());

fn installing() -> std::sync::MutexGuard<'static, ()> {
    INSTALL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn from_vars(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_lookup(|name| vars.get(name).cloned())
}

#[test]
fn tracing_enabled_accepts_every_spelling_in_any_case() {
    let cases = [
        ("true", true),
        ("TRUE", true),
        ("1", true),
        ("yes", true),
        ("Yes", true),
        ("on", true),
        ("ON", true),
        ("false", false),
        ("False", false),
        ("0", false),
        ("no", false),
        ("NO", false),
        ("off", false),
        ("  off ", false),
    ];
    for (value, enabled) in cases {
        let config =
            from_vars(&[("TRACING_ENABLED", value)]).unwrap_or_else(|e| panic!("{value:?}: {e}"));
        assert_eq!(config.is_recording(), enabled, "TRACING_ENABLED={value:?}");
    }
}

#[test]
fn tracing_exporter_and_console_format_accept_their_values() {
    let exporters = [
        ("console", Exporter::Console),
        ("CONSOLE", Exporter::Console),
        ("in_memory", Exporter::InMemory),
        ("in-memory", Exporter::InMemory),
        ("none", Exporter::None),
    ];
    for (value, exporter) in exporters {
        assert_eq!(
            from_vars(&[("TRACING_EXPORTER", value)])
                .unwrap()
                .exporter_kind(),
            exporter,
            "{value}"
        );
    }
    for value in ["tree", "line", "json", "JSON"] {
        assert!(
            from_vars(&[("TRACING_CONSOLE_FORMAT", value)]).is_ok(),
            "{value}"
        );
    }
}

#[test]
fn unset_or_empty_variables_keep_the_defaults() {
    for vars in [
        &[][..],
        &[("TRACING_EXPORTER", ""), ("TRACING_ENABLED", "  ")][..],
    ] {
        let config = from_vars(vars).unwrap();
        assert_eq!(config.exporter_kind(), Exporter::Console);
        assert!(config.is_recording());
    }
}

#[test]
fn a_bad_value_names_the_variable_the_value_and_what_is_accepted() {
    let cases = [
        (
            "TRACING_ENABLED",
            "maybe",
            "true, false, 1, 0, yes, no, on or off",
        ),
        (
            "TRACING_EXPORTER",
            "jaegar",
            "one of console, in_memory, none",
        ),
        ("TRACING_CONSOLE_FORMAT", "xml", "one of tree, line, json"),
    ];
    for (variable, value, expected) in cases {
        let error = from_vars(&[(variable, value)]).unwrap_err();
        assert_eq!(
            error,
            ConfigError::InvalidValue {
                variable,
                value: value.to_owned(),
                expected
            },
            "{variable}={value}"
        );
        let message = error.to_string();
        assert!(
            message.contains(variable) && message.contains(value) && message.contains(expected),
            "{message}"
        );
    }
}

#[test]
fn the_builder_overrides_what_the_environment_says() {
    let config = from_vars(&[("TRACING_EXPORTER", "none")])
        .unwrap()
        .exporter(Exporter::InMemory)
        .enabled(true);
    assert_eq!(config.exporter_kind(), Exporter::InMemory);
    assert!(config.is_recording());
    assert!(!Config::new().enabled(false).is_recording());
    let _ = Config::new()
        .console_format(ConsoleFormat::Json)
        .service_name("svc");
}

#[trace_operation(include_args)]
fn step(n: u32) -> u32 {
    n
}

#[test]
fn a_second_installation_is_an_error_until_the_first_guard_is_dropped() {
    let _lock = installing();
    let first = Config::new()
        .exporter(Exporter::InMemory)
        .install()
        .expect("first");
    let second = Config::new().exporter(Exporter::Console).install();
    assert!(matches!(second, Err(InitError::AlreadyInitialized)));
    assert!(second
        .unwrap_err()
        .to_string()
        .contains("already initialized"));
    // The first installation is untouched by the refused one.
    step(1);
    assert_eq!(testing::take_recorded().names(), ["step"]);
    drop(first);
    let again = Config::new()
        .exporter(Exporter::None)
        .install()
        .expect("after the guard is dropped");
    drop(again);
}

#[test]
fn the_in_memory_exporter_reads_takes_and_clears_the_whole_process() {
    let _lock = installing();
    let _guard = Config::new()
        .exporter(Exporter::InMemory)
        .install()
        .unwrap();
    step(1);
    std::thread::spawn(|| step(2)).join().unwrap();
    let recorded = testing::recorded();
    assert_eq!(recorded.len(), 2, "spans from every thread");
    assert_eq!(recorded.with_attribute("arg.n", 2_i64).len(), 1);
    assert_eq!(testing::recorded().len(), 2, "reading keeps them");

    assert_eq!(testing::take_recorded().len(), 2);
    assert!(testing::recorded().is_empty(), "taking empties");

    step(3);
    testing::clear_recorded();
    assert!(testing::recorded().is_empty());

    // A capture still sees only its own spans, and keeps them from the global exporter.
    let (_, captured) = capture(|| step(4));
    assert_eq!(captured.len(), 1);
    assert!(testing::recorded().is_empty());
}

#[test]
fn disabled_or_none_records_nothing() {
    let _lock = installing();
    for config in [
        Config::new().enabled(false),
        Config::new().exporter(Exporter::None),
    ] {
        let guard = config.install().unwrap();
        #[trace_operation]
        fn probe() -> bool {
            tracekit::current_span().is_recording()
        }
        assert!(!probe());
        drop(guard);
    }
}

#[test]
fn shutdown_uninstalls_so_that_init_can_run_again() {
    let _lock = installing();
    let guard = Config::new()
        .exporter(Exporter::InMemory)
        .install()
        .unwrap();
    tracekit::shutdown();
    assert!(!tracekit::span("after").in_scope(|| tracekit::current_span().is_recording()));
    let reinstalled = Config::new()
        .exporter(Exporter::InMemory)
        .install()
        .expect("shutdown frees the slot");
    drop(guard); // a stale guard leaves the new installation alone
    step(5);
    assert_eq!(testing::recorded().names(), ["step"]);
    drop(reinstalled);
}

#[test]
#[should_panic(expected = "set TRACING_EXPORTER=in_memory")]
fn reading_the_in_memory_exporter_when_it_is_not_installed_says_how_to_install_it() {
    let _lock = installing();
    testing::recorded();
}
