//! The running `otelcol.storage.file` and its arguments (Alloy's `storage/file/file.go`: `directory`
//! defaulting to the component's data path, `timeout` 1s, `fsync` false, `create_directory` true,
//! `directory_permissions` "0750", a `compaction` block).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ingot_runtime::component::{ComponentType, Context, Stability};
use ingot_syntax::capsule_type;
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};
use ingot_syntax::value::Value;

use crate::config::{debug_metrics, no_effect, Warnings};

pub const NAME: &str = "otelcol.storage.file";

/// The `handler` export: the directory exporters keep their queues under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorageHandler {
    pub component_id: Arc<str>,
    pub directory: PathBuf,
    /// Sync every write to disk (`fsync`).
    pub fsync: bool,
}

capsule_type!(StorageHandler, "extension.ExtensionHandler");

impl StorageHandler {
    /// Where the exporter `exporter_id` keeps its queue.
    pub fn queue_dir(&self, exporter_id: &str) -> PathBuf {
        self.directory.join(exporter_id)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub directory: String,
    pub fsync: bool,
    pub create_directory: bool,
    pub directory_permissions: u32,
    pub warnings: Warnings,
}

struct Compaction(Warnings);

impl Decode for Compaction {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let mut w = Warnings::new();
        let p = "compaction.";
        let why = "ingot's queue is a segmented log whose delivered segments are deleted, so it never needs compacting";
        no_effect::<String>(d, "directory", p, why, &mut w)?;
        for b in ["on_start", "on_rebound", "cleanup_on_start"] {
            if d.optional_or(b, false)? {
                w.push(format!("{p}{b} has no effect: {why}"));
            }
        }
        for n in [
            "rebound_needed_threshold_mib",
            "rebound_trigger_threshold_mib",
            "max_transaction_size",
        ] {
            let _: Option<i64> = d.optional(n)?;
        }
        let _: Option<Duration> = d.optional("check_interval")?;
        Ok(Compaction(w))
    }
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let mut warnings = Warnings::new();
        let directory = d.optional_or("directory", String::new())?;
        no_effect::<Duration>(
            d,
            "timeout",
            "",
            "ingot's queue does not lock its files with a timeout: each directory belongs to one exporter",
            &mut warnings,
        )?;
        if let Some(c) = d.block::<Compaction>("compaction")? {
            warnings.extend(c.0);
        }
        let fsync = d.optional_or("fsync", false)?;
        let create_directory = d.optional_or("create_directory", true)?;
        let perms: String = d.optional_or("directory_permissions", "0750".to_string())?;
        let directory_permissions = u32::from_str_radix(perms.trim_start_matches("0o"), 8)
            .ok()
            .filter(|p| *p <= 0o7777)
            .ok_or_else(|| {
                d.error_at_attr(
                    "directory_permissions",
                    format!("invalid directory_permissions {perms:?}: expected an octal mode such as \"0750\""),
                )
            })?;
        debug_metrics(d, &mut warnings)?;
        Ok(Arguments {
            directory,
            fsync,
            create_directory,
            directory_permissions,
            warnings,
        })
    }
}

pub struct Component;

fn directory(ctx: &Context, args: &Arguments) -> PathBuf {
    if args.directory.is_empty() {
        ctx.data_path.clone()
    } else {
        PathBuf::from(&args.directory)
    }
}

fn prepare(dir: &std::path::Path, args: &Arguments) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    if dir.is_dir() {
        return Ok(());
    }
    if dir.exists() {
        return Err(format!("{} is not a directory", dir.display()));
    }
    if !args.create_directory {
        return Err(format!("directory must exist: stat {}: no such file or directory. You can enable the create_directory option to automatically create it", dir.display()));
    }
    std::fs::create_dir_all(dir)
        .and_then(|()| {
            std::fs::set_permissions(
                dir,
                std::fs::Permissions::from_mode(args.directory_permissions),
            )
        })
        .map_err(|e| format!("creating {}: {e}", dir.display()))
}

impl ComponentType for Component {
    const NAME: &'static str = NAME;
    const STABILITY: Stability = Stability::GenerallyAvailable;

    type Args = Arguments;

    fn build(ctx: Context, args: Arguments) -> Result<Component, String> {
        let dir = directory(&ctx, &args);
        if !ctx.validate_only {
            prepare(&dir, &args)?;
        }
        for w in &args.warnings {
            tracing::warn!(component = %ctx.id, "{w}");
        }
        let handler = StorageHandler {
            component_id: ctx.id.as_str().into(),
            directory: dir,
            fsync: args.fsync,
        };
        ctx.exports
            .init(Value::object([("handler", Value::from(handler))]));
        ctx.health.healthy("started component");
        Ok(Component)
    }

    fn update(&self, args: Arguments) -> Result<(), String> {
        // The directory is the exporters' queue: moving it under running exporters would strand their
        // data. A change takes effect at the next start, and says so.
        let _ = args;
        Err("otelcol.storage.file's arguments cannot change while ingot runs (the exporters' queues live in its directory): restart ingot to apply them".into())
    }
}
