//! The environment variables, mapped onto the settings a `Config` holds: `TRACING_*` first,
//! then the standard `OTEL_*`, then the defaults.

use super::key_values;
use super::vars::Vars;
use crate::error::ConfigError;
use crate::export::batch::{SizeSettings, SIZE_EXPECTED, THREADS_EXPECTED};
use crate::export::console::ConsoleFormat;
use crate::export::otlp::{self, Compression, Endpoint, OtlpSettings, OtlpTarget, PemFile, Protocol, Secret};
use crate::export::Exporter;
use crate::install::Settings;
use crate::metrics::{check_interval, check_prometheus_host, MetricsExporter};
use crate::pipeline::{self as sampling, KeepPolicy, Sampler, KEEP_RULES};
use crate::propagation::Propagator;
use crate::support::diagnostics::LogLevel;
use std::time::Duration;

pub(super) fn read(vars: &Vars<'_>) -> Result<Settings, ConfigError> {
    let mut config = Settings::default();

    let disabled = vars.flag("OTEL_SDK_DISABLED")?;
    config.enabled = vars.flag("TRACING_ENABLED")?.or(disabled.map(|disabled| !disabled)).unwrap_or(true);
    config.opentelemetry_context = vars.flag("TRACING_OTEL_CONTEXT")?.unwrap_or(false);

    // Lists, as the OpenTelemetry variables are: `otlp,console` sends spans
    // to both. `jaeger` is OTLP to the Jaeger host, read below.
    let tracing_exporters = vars.list(
        "TRACING_EXPORTER",
        "none, or a comma-separated list of console, otlp, jaeger, in_memory, each once",
        &[
            ("console", (Exporter::Console, false)),
            ("otlp", (Exporter::Otlp, false)),
            ("jaeger", (Exporter::Otlp, true)),
            ("in_memory", (Exporter::InMemory, false)),
            ("in-memory", (Exporter::InMemory, false)),
        ],
    )?;
    let otel_exporters = vars.list(
        "OTEL_TRACES_EXPORTER",
        "none, or a comma-separated list of otlp, console, each once",
        &[("otlp", (Exporter::Otlp, false)), ("console", (Exporter::Console, false))],
    )?;
    let (exporter_variable, chosen) = match (tracing_exporters, otel_exporters) {
        (Some(chosen), _) => ("TRACING_EXPORTER", Some(chosen)),
        (None, chosen) => ("OTEL_TRACES_EXPORTER", chosen),
    };
    let jaeger = chosen.as_ref().is_some_and(|chosen| chosen.iter().any(|(_, jaeger)| *jaeger));
    if let Some(chosen) = chosen {
        let exporters: Vec<Exporter> = chosen.into_iter().map(|(exporter, _)| exporter).collect();
        if !Exporter::each_once(&exporters) {
            // `otlp,jaeger`: the same exporter twice.
            return Err(ConfigError::InvalidValue {
                variable: exporter_variable,
                value: vars.get(exporter_variable).unwrap_or_default(),
                expected: "each exporter once (jaeger is OTLP to Jaeger: not with otlp)",
            });
        }
        let value = vars.get(exporter_variable).unwrap_or_default();
        for exporter in &exporters {
            exporter.check_compiled(exporter_variable, &value)?;
        }
        config.exporters = exporters;
    }

    config.console.format = vars
        .choice(
            "TRACING_CONSOLE_FORMAT",
            "one of tree, line, json",
            &[("tree", ConsoleFormat::Tree), ("line", ConsoleFormat::Line), ("json", ConsoleFormat::Json)],
        )?
        .unwrap_or_default();

    read_resource(vars, &mut config)?;
    let over_otlp = config.exporters.contains(&Exporter::Otlp);
    read_otlp(vars, &TRACES, &mut config.otlp, over_otlp)?;
    if jaeger {
        read_jaeger(vars, &mut config)?;
    }
    config.sampler = read_sampler(vars)?;
    config.keep = read_keep(vars)?;
    read_batch(vars, &mut config)?;
    read_limits(vars, &mut config)?;
    config.propagators = read_propagators(vars)?;
    read_metrics(vars, &mut config)?;
    config.log_level = vars.choice("OTEL_LOG_LEVEL", LogLevel::EXPECTED, &LogLevel::NAMES)?;
    Ok(config)
}

fn read_metrics(vars: &Vars<'_>, config: &mut Settings) -> Result<(), ConfigError> {
    let settings = &mut config.metrics;
    let variable = "OTEL_METRICS_EXPORTER";
    let expected = "none, or a comma-separated list of otlp, prometheus, console, each once";
    if let Some(exporters) = vars.list(variable, expected, &MetricsExporter::NAMES)? {
        for exporter in &exporters {
            exporter.check_compiled(variable, &vars.get(variable).unwrap_or_default())?;
        }
        settings.exporters = exporters;
    }
    if let Some(interval) = vars.millis("OTEL_METRIC_EXPORT_INTERVAL")? {
        check_interval("OTEL_METRIC_EXPORT_INTERVAL", interval)?;
        settings.interval = interval;
    }
    let over_otlp = settings.exporters.contains(&MetricsExporter::Otlp);
    read_otlp(vars, &METRICS, &mut settings.otlp, over_otlp)?;
    if let Some(host) = vars.get("OTEL_EXPORTER_PROMETHEUS_HOST") {
        check_prometheus_host("OTEL_EXPORTER_PROMETHEUS_HOST", &host)?;
        settings.prometheus_host = host;
    }
    if let Some(port) = vars.number::<u16>("OTEL_EXPORTER_PROMETHEUS_PORT", "a port number, 0 to 65535")? {
        settings.prometheus_port = port;
    }
    Ok(())
}

fn read_propagators(vars: &Vars<'_>) -> Result<Option<Vec<Propagator>>, ConfigError> {
    let names = [
        ("tracecontext", Some(Propagator::TraceContext)),
        ("baggage", Some(Propagator::Baggage)),
        ("b3", Some(Propagator::B3)),
        ("b3multi", Some(Propagator::B3Multi)),
        ("none", None),
    ];
    let Some(list) = vars.get("OTEL_PROPAGATORS") else { return Ok(None) };
    let invalid = |expected| ConfigError::InvalidValue { variable: "OTEL_PROPAGATORS", value: list.clone(), expected };
    let mut propagators = Vec::new();
    for name in list.split(',').map(str::trim).filter(|name| !name.is_empty()) {
        let Some((_, propagator)) = names.iter().find(|(known, _)| known.eq_ignore_ascii_case(name)) else {
            return Err(invalid("a comma-separated list of tracecontext, baggage, b3, b3multi, none"));
        };
        if let Some(propagator) = propagator {
            propagator.check_compiled("OTEL_PROPAGATORS", &list)?;
        }
        propagators.extend(*propagator);
    }
    Ok(Some(propagators))
}

fn read_resource(vars: &Vars<'_>, config: &mut Settings) -> Result<(), ConfigError> {
    let attributes = vars
        .parse(
            "OTEL_RESOURCE_ATTRIBUTES",
            "comma-separated key=value pairs, values percent-encoded",
            key_values::parse,
        )?
        .unwrap_or_default();
    // OTEL_SERVICE_NAME wins over a service.name among the resource attributes.
    let attribute = |key: &str| attributes.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    config.service_name = vars.get("OTEL_SERVICE_NAME").or_else(|| attribute("service.name"));
    config.service_version = attribute("service.version");
    config.resource_attributes =
        attributes.into_iter().filter(|(key, _)| key != "service.name" && key != "service.version").collect();
    Ok(())
}

/// The variables of one signal's OTLP exporter; each falls back on the
/// general `OTEL_EXPORTER_OTLP_*` one.
pub(super) struct OtlpVariables {
    /// `TRACING_OTLP_ENDPOINT`, for traces only.
    tracekit_endpoint: Option<&'static str>,
    endpoint: &'static str,
    protocol: &'static str,
    headers: &'static str,
    timeout: &'static str,
    compression: &'static str,
    certificate: &'static str,
    client_certificate: &'static str,
    client_key: &'static str,
}

pub(super) const TRACES: OtlpVariables = OtlpVariables {
    tracekit_endpoint: Some("TRACING_OTLP_ENDPOINT"),
    endpoint: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    protocol: "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    headers: "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    timeout: "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
    compression: "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
    certificate: "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
    client_certificate: "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE",
    client_key: "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY",
};

pub(super) const METRICS: OtlpVariables = OtlpVariables {
    tracekit_endpoint: None,
    endpoint: "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    protocol: "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
    headers: "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
    timeout: "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT",
    compression: "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION",
    certificate: "OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE",
    client_certificate: "OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE",
    client_key: "OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY",
};

/// Reads one signal's OTLP settings. What TLS needs is asked of this build
/// only when the signal does go over OTLP (`used`).
pub(super) fn read_otlp(
    vars: &Vars<'_>,
    names: &OtlpVariables,
    settings: &mut OtlpTarget,
    used: bool,
) -> Result<(), ConfigError> {
    let endpoint = |variable: &'static str, make: fn(String) -> Endpoint| {
        let url = vars.parse(variable, otlp::ENDPOINT_EXPECTED, |value| otlp::is_endpoint_url(value).then_some(()))?;
        match url.and(vars.get(variable)) {
            Some(url) if used => otlp::check_scheme_compiled(variable, &url).map(|()| Some(make(url))),
            Some(url) => Ok(Some(make(url))),
            None => Ok(None),
        }
    };
    let tracekit_endpoint = match names.tracekit_endpoint {
        Some(variable) => endpoint(variable, Endpoint::Base)?,
        None => None,
    };
    settings.endpoint = match tracekit_endpoint {
        Some(found) => Some(found),
        None => match endpoint(names.endpoint, Endpoint::Signal)? {
            Some(found) => Some(found),
            None => endpoint("OTEL_EXPORTER_OTLP_ENDPOINT", Endpoint::Base)?,
        },
    };

    let protocols =
        [("grpc", Protocol::Grpc), ("http/protobuf", Protocol::HttpProtobuf), ("http/json", Protocol::HttpJson)];
    let expected = "one of grpc, http/protobuf, http/json";
    settings.protocol = vars
        .choice(names.protocol, expected, &protocols)?
        .or(vars.choice("OTEL_EXPORTER_OTLP_PROTOCOL", expected, &protocols)?)
        .unwrap_or_default();

    // Both header lists apply; the signal's own wins for a key in both.
    for variable in ["OTEL_EXPORTER_OTLP_HEADERS", names.headers] {
        for (key, value) in read_headers(vars, variable)? {
            settings.headers.retain(|(existing, _)| !existing.eq_ignore_ascii_case(&key));
            settings.headers.push((key, Secret(value)));
        }
    }

    if let Some(timeout) = vars.millis(names.timeout)?.or(vars.millis("OTEL_EXPORTER_OTLP_TIMEOUT")?) {
        settings.timeout = timeout;
    }

    let compressions = [("gzip", Compression::Gzip), ("none", Compression::None)];
    settings.compression = vars
        .choice(names.compression, "gzip or none", &compressions)?
        .or(vars.choice("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip or none", &compressions)?)
        .unwrap_or_default();

    // Paths, read and checked when tracing is installed.
    let file = |own: &'static str, general: &'static str| {
        [own, general]
            .into_iter()
            .find_map(|setting| vars.get(setting).map(|path| PemFile { path: path.into(), setting }))
    };
    let tls = &mut settings.tls;
    tls.ca = file(names.certificate, "OTEL_EXPORTER_OTLP_CERTIFICATE");
    tls.client_certificate = file(names.client_certificate, "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE");
    tls.client_key = file(names.client_key, "OTEL_EXPORTER_OTLP_CLIENT_KEY");
    if used {
        tls.check_compiled()?;
    }
    Ok(())
}

/// Header values are secrets: an error shows the list with its values hidden.
fn read_headers(vars: &Vars<'_>, variable: &'static str) -> Result<Vec<(String, String)>, ConfigError> {
    let Some(list) = vars.get(variable) else {
        return Ok(Vec::new());
    };
    key_values::parse(&list).ok_or_else(|| ConfigError::InvalidValue {
        variable,
        value: key_values::redact_values(&list),
        expected: "comma-separated key=value pairs, values percent-encoded",
    })
}

fn read_jaeger(vars: &Vars<'_>, config: &mut Settings) -> Result<(), ConfigError> {
    let host = vars.get("TRACING_JAEGER_HOST").unwrap_or_else(|| "localhost".to_owned());
    if !otlp::is_endpoint_url(&format!("http://{host}")) {
        return Err(ConfigError::InvalidValue {
            variable: "TRACING_JAEGER_HOST",
            value: host,
            expected: "a host name or IP address",
        });
    }
    let port = vars.number::<u16>("TRACING_JAEGER_PORT", "a port number: 4317 (OTLP/gRPC) or 4318 (OTLP/HTTP)")?;
    if let Some(port) = port {
        otlp::check_jaeger_port("TRACING_JAEGER_PORT", port)?;
    }
    let port = port.unwrap_or(4317);
    OtlpSettings::default().jaeger(&host, port).apply_to(&mut config.otlp);
    Ok(())
}

fn read_keep(vars: &Vars<'_>) -> Result<KeepPolicy, ConfigError> {
    let mut keep = KeepPolicy::new();
    let rules = vars.list(
        "TRACING_KEEP",
        "none, or a comma-separated list of errors, slow, cancelled, each once",
        &KEEP_RULES,
    )?;
    for rule in rules.into_iter().flatten() {
        keep = keep.with_rule(rule);
    }
    if let Some(longer_than) = vars.millis("TRACING_KEEP_LONGER_THAN_MS")? {
        keep = keep.longer_than(longer_than);
    }
    let at_least_one = "a whole number, at least 1";
    let positive = |value: &str| value.parse::<usize>().ok().filter(|spans| *spans > 0);
    if let Some(spans) = vars.parse("TRACING_KEEP_MAX_SPANS_PER_TRACE", at_least_one, positive)? {
        keep = keep.max_spans_per_trace(spans);
    }
    if let Some(spans) = vars.parse("TRACING_KEEP_MAX_SPANS", at_least_one, positive)? {
        keep = keep.max_held_spans(spans);
    }
    let millis = |value: &str| value.parse::<u64>().ok().filter(|ms| *ms > 0).map(Duration::from_millis);
    if let Some(timeout) =
        vars.parse("TRACING_KEEP_TIMEOUT_MS", "a whole number of milliseconds, more than 0", millis)?
    {
        keep = keep.timeout(timeout);
    }
    Ok(keep)
}

fn read_sampler(vars: &Vars<'_>) -> Result<Sampler, ConfigError> {
    let ratio_expected = "a number from 0.0 to 1.0";
    if let Some(rate) = vars.parse("TRACING_SAMPLE_RATE", ratio_expected, sampling::parse_ratio)? {
        return Ok(Sampler::ParentBasedTraceIdRatio(rate));
    }
    let ratio = || {
        Ok::<_, ConfigError>(
            vars.parse("OTEL_TRACES_SAMPLER_ARG", ratio_expected, sampling::parse_ratio)?.unwrap_or(1.0),
        )
    };
    #[derive(Clone, Copy)]
    enum Name {
        AlwaysOn,
        AlwaysOff,
        Ratio,
        ParentBasedOn,
        ParentBasedOff,
        ParentBasedRatio,
    }
    let name = vars.choice(
        "OTEL_TRACES_SAMPLER",
        "one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, \
         parentbased_traceidratio",
        &[
            ("always_on", Name::AlwaysOn),
            ("always_off", Name::AlwaysOff),
            ("traceidratio", Name::Ratio),
            ("parentbased_always_on", Name::ParentBasedOn),
            ("parentbased_always_off", Name::ParentBasedOff),
            ("parentbased_traceidratio", Name::ParentBasedRatio),
        ],
    )?;
    Ok(match name {
        Some(Name::AlwaysOn) => Sampler::AlwaysOn,
        Some(Name::AlwaysOff) => Sampler::AlwaysOff,
        Some(Name::Ratio) => Sampler::TraceIdRatio(ratio()?),
        Some(Name::ParentBasedOff) => Sampler::ParentBasedAlwaysOff,
        Some(Name::ParentBasedRatio) => Sampler::ParentBasedTraceIdRatio(ratio()?),
        Some(Name::ParentBasedOn) | None => Sampler::ParentBasedAlwaysOn,
    })
}

fn read_batch(vars: &Vars<'_>, config: &mut Settings) -> Result<(), ConfigError> {
    let batch = &mut config.batch;
    let size = |value: &str| value.parse::<usize>().ok();
    if let Some(delay) = vars.millis("OTEL_BSP_SCHEDULE_DELAY")? {
        batch.schedule_delay = delay;
    }
    if let Some(size) = vars.parse("OTEL_BSP_MAX_QUEUE_SIZE", SIZE_EXPECTED, size)? {
        batch.max_queue_size = size;
    }
    if let Some(size) = vars.parse("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", SIZE_EXPECTED, size)? {
        batch.max_export_batch_size = size;
    }
    if let Some(timeout) = vars.millis("OTEL_BSP_EXPORT_TIMEOUT")? {
        batch.export_timeout = timeout;
    }
    if let Some(threads) = vars.parse("TRACING_EXPORT_THREADS", THREADS_EXPECTED, size)? {
        batch.export_threads = threads;
    }
    batch.check(&SizeSettings::ENVIRONMENT)
}

fn read_limits(vars: &Vars<'_>, config: &mut Settings) -> Result<(), ConfigError> {
    let count = "a whole number";
    if let Some(limit) = vars.number("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", count)? {
        config.limits.attribute_count = limit;
    }
    if let Some(limit) = vars.number("OTEL_SPAN_EVENT_COUNT_LIMIT", count)? {
        config.limits.event_count = limit;
    }
    if let Some(limit) = vars.number("OTEL_SPAN_LINK_COUNT_LIMIT", count)? {
        config.limits.link_count = limit;
    }
    if let Some(limit) = vars.number("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", count)? {
        config.limits.attribute_value_length = Some(limit);
    }
    Ok(())
}
