//! Components for tests of the binary (the `test-hooks` feature only, never in a release build):
//! `test.lines_to_file "x" { path = "/tmp/out" }` exports `receiver` and appends every entry it takes to
//! `path` as `<filename label>\t<line>\n`, so that a test can see what the real binary delivered, even
//! across a SIGKILL (the writes are in the kernel once `append` returns).

use ingot_runtime::component::Registration;

/// The test components, when the feature is on; none otherwise.
pub fn registrations() -> Vec<Registration> {
    #[cfg(feature = "test-hooks")]
    {
        vec![Registration::of::<sink::LinesToFile>()]
    }
    #[cfg(not(feature = "test-hooks"))]
    {
        Vec::new()
    }
}

#[cfg(feature = "test-hooks")]
mod sink {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use ingot_common::receiver::LogsReceiver;
    use ingot_logs::{AppendError, Entry, LogsAppender};
    use ingot_runtime::component::{ComponentType, Context, Stability};
    use ingot_syntax::decode::{BodyDecoder, Decode, Failed};
    use ingot_syntax::value::Value;

    #[derive(Clone, Debug, PartialEq)]
    pub struct Args {
        path: String,
    }

    impl Decode for Args {
        fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
            Ok(Args {
                path: d.required("path")?,
            })
        }
    }

    struct Appender(Mutex<std::fs::File>);

    impl LogsAppender for Appender {
        fn append(&self, entries: &[Entry]) -> Result<(), AppendError> {
            let mut out = String::new();
            for e in entries {
                out.push_str(e.labels.get("filename").unwrap_or(""));
                out.push('\t');
                out.push_str(&e.line);
                out.push('\n');
            }
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .write_all(out.as_bytes())
                .map_err(|e| AppendError::Full {
                    retry_after: std::time::Duration::from_millis(100),
                    reason: e.to_string(),
                })
        }
    }

    pub struct LinesToFile;

    impl ComponentType for LinesToFile {
        const NAME: &'static str = "test.lines_to_file";
        const STABILITY: Stability = Stability::GenerallyAvailable;

        type Args = Args;

        fn build(ctx: Context, args: Args) -> Result<LinesToFile, String> {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&args.path)
                .map_err(|e| format!("open {}: {e}", args.path))?;
            let r =
                ingot_logs::LogsReceiver::new(ctx.id.clone(), Arc::new(Appender(Mutex::new(file))));
            ctx.exports
                .init(Value::object([("receiver", Value::from(LogsReceiver(r)))]));
            Ok(LinesToFile)
        }

        fn update(&self, _: Args) -> Result<(), String> {
            Err("test.lines_to_file cannot be updated".into())
        }
    }
}
