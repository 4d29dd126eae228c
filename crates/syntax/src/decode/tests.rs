//! Block decoding cases, after Alloy's `vm_block_test.go` and `vm_errors_test.go`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::ast::Stmt;
use crate::eval::{Evaluator, Scope};
use crate::parser::parse_file;
use crate::source::SourceFile;
use crate::value::{Capsule, FromValue, OptionalSecret, Secret, Value, ValueError};

fn parse(src: &str) -> crate::ast::File {
    let (file, diags) = parse_file(SourceFile::new("test", src));
    assert!(!diags.has_errors(), "parse errors: {diags}");
    file
}

fn first_block(file: &crate::ast::File) -> &Block {
    match &file.body[0] {
        Stmt::Block(b) => b,
        other => panic!("expected a block, got {other:?}"),
    }
}

/// Decodes the first block of `src` (with its label) and renders the result or the errors.
fn block_result<T: Decode + std::fmt::Debug>(src: &str, scope: &Scope) -> Result<T, String> {
    let file = parse(src);
    let mut ev = Evaluator::new(&file.source, scope);
    decode_block::<T>(first_block(&file), &mut ev).map_err(|d| d.to_string())
}

fn body_result<T: Decode + std::fmt::Debug>(src: &str, scope: &Scope) -> Result<T, String> {
    let file = parse(src);
    let mut ev = Evaluator::new(&file.source, scope);
    decode_body::<T>(&file.body, &mut ev).map_err(|d| d.to_string())
}

#[derive(Debug, PartialEq, Default)]
struct Inner {
    string: String,
    number: i64,
}

impl Decode for Inner {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(Inner {
            string: d.required("string")?,
            number: d.optional_or("number", 0)?,
        })
    }
}

#[derive(Debug, PartialEq)]
struct FileArgs {
    setting_a: i64,
    setting_b: i64,
    block: Option<Inner>,
}

impl Decode for FileArgs {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(FileArgs {
            setting_a: d.required("setting_a")?,
            setting_b: d.optional_or("setting_b", 0)?,
            block: d.block("some_block")?,
        })
    }
}

#[test]
fn decodes_a_file_body() {
    let src = "\n\tsetting_a = 15\n\n\tsome_block {\n\t\tstring = \"Hello, world!\"\n\t}\n";
    let got: FileArgs = body_result(src, &Scope::new()).unwrap();
    assert_eq!(
        got,
        FileArgs {
            setting_a: 15,
            setting_b: 0,
            block: Some(Inner {
                string: "Hello, world!".into(),
                number: 0
            })
        }
    );
}

#[derive(Debug, PartialEq)]
struct NumberString {
    number: i64,
    string: String,
}

impl Decode for NumberString {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(NumberString {
            number: d.required("number")?,
            string: d.required("string")?,
        })
    }
}

#[test]
fn attribute_rules() {
    let scope = Scope::new();
    let ok: NumberString = block_result(
        "some_block {\n\t\t\tnumber = 15\n\t\t\tstring = \"Hello, world!\"\n\t\t}",
        &scope,
    )
    .unwrap();
    assert_eq!(
        ok,
        NumberString {
            number: 15,
            string: "Hello, world!".into()
        }
    );

    assert_eq!(
        block_result::<NumberString>("some_block {\n\t\t\tnumber {}\n\t\t}", &scope).unwrap_err(),
        "test:2:4: \"number\" must be an attribute, but is used as a block"
    );
    assert_eq!(
        block_result::<NumberString>("some_block {\n\t\t\tnumber = 15\n\t\t}", &scope).unwrap_err(),
        "test:1:1: missing required attribute \"string\""
    );
    assert_eq!(
        block_result::<Inner>("some_block {\n\t\t\tstring = \"x\"\n\t\t\tinvalid = \"This attribute does not exist!\"\n\t\t}", &scope)
            .unwrap_err(),
        "test:3:4: unrecognized attribute name \"invalid\""
    );
    assert_eq!(
        block_result::<Inner>(
            "some_block {\n\tstring = \"a\"\n\tstring = \"b\"\n}",
            &scope
        )
        .unwrap_err(),
        "test:3:2: attribute \"string\" may only be provided once"
    );
    // Every unknown name is reported, not only the first.
    assert_eq!(
        block_result::<Inner>("b {\n\tstring = \"a\"\n\tfrequenc = 1\n\tx {}\n\ty = 2\n}", &scope).unwrap_err(),
        "test:3:2: unrecognized attribute name \"frequenc\"\ntest:4:2: unrecognized block name \"x\"\ntest:5:2: unrecognized attribute name \"y\""
    );
}

#[test]
fn type_errors_name_the_expression() {
    #[derive(Debug)]
    struct Key(#[allow(dead_code)] String);
    impl Decode for Key {
        fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
            Ok(Key(d.required("key")?))
        }
    }
    assert_eq!(
        body_result::<Key>("key = [0, 1, 2]", &Scope::new()).unwrap_err(),
        "test:1:7: [0, 1, 2] should be string, got array"
    );

    // `key` is an object attribute decoded with ObjectDecoder.
    #[derive(Debug)]
    #[allow(dead_code)]
    struct Target {
        object: Fields,
    }
    #[derive(Debug)]
    #[allow(dead_code)]
    struct Fields {
        field1: Vec<i64>,
    }
    impl FromValue for Target {
        fn from_value(v: &Value) -> Result<Self, ValueError> {
            let mut o = ObjectDecoder::new(v)?;
            let t = Target {
                object: o.required("object")?,
            };
            o.finish()?;
            Ok(t)
        }
    }
    impl FromValue for Fields {
        fn from_value(v: &Value) -> Result<Self, ValueError> {
            let mut o = ObjectDecoder::new(v)?;
            let t = Fields {
                field1: o.optional("field1")?.unwrap_or_default(),
            };
            o.finish()?;
            Ok(t)
        }
    }
    #[derive(Debug)]
    struct Outer(#[allow(dead_code)] Target);
    impl Decode for Outer {
        fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
            Ok(Outer(d.required("key")?))
        }
    }
    let scope = Scope::new().with(
        "key_value",
        Value::object([(
            "object",
            Value::object([(
                "field1",
                Value::array([15.into(), 30.into(), "Hello, world!".into()]),
            )]),
        )]),
    );
    assert_eq!(
        body_result::<Outer>("key = true", &scope).unwrap_err(),
        "test:1:7: true should be object, got bool"
    );
    assert_eq!(
        body_result::<Outer>(
            "\n\t\t\t\tkey = {\n\t\t\t\t\tobject = {\n\t\t\t\t\t\tfield1 = [15, 30, \"Hello, world!\"],\n\t\t\t\t\t},\n\t\t\t\t}\n\t\t\t",
            &scope
        )
        .unwrap_err(),
        "test:4:25: \"Hello, world!\" should be number, got string"
    );
    assert_eq!(
        body_result::<Outer>("key = key_value", &scope).unwrap_err(),
        "test:1:7: key_value.object.field1[2] should be number, got string"
    );
    assert_eq!(
        body_result::<Outer>("key = { object = { field1 = [], extra = 1 } }", &scope).unwrap_err(),
        "test:1:41: 1 does not have field named \"extra\""
    );
    assert_eq!(
        body_result::<Outer>("key = { }", &scope).unwrap_err(),
        "test:1:7: {} missing required field \"object\""
    );
}

#[derive(Debug, PartialEq, Clone)]
struct Child {
    attr: bool,
}

impl Decode for Child {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(Child {
            attr: d.required("attr")?,
        })
    }
}

#[derive(Debug, PartialEq)]
struct WithChild {
    value: i64,
    child: Child,
}

impl Decode for WithChild {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(WithChild {
            value: d.required("value")?,
            child: d.required_block("child.block")?,
        })
    }
}

#[derive(Debug, PartialEq)]
struct WithChildren {
    value: i64,
    children: Vec<Child>,
}

impl Decode for WithChildren {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(WithChildren {
            value: d.required("value")?,
            children: d.blocks("child.block")?,
        })
    }
}

#[test]
fn block_rules() {
    let scope = Scope::new();
    let got: WithChild = block_result(
        "some_block {\n\t\t\tvalue = 15\n\n\t\t\tchild.block { attr = true }\n\t\t}",
        &scope,
    )
    .unwrap();
    assert_eq!(
        got,
        WithChild {
            value: 15,
            child: Child { attr: true }
        }
    );

    let got: WithChildren = block_result(
        "some_block {\n\tvalue = 10\n\n\tchild.block { attr = true }\n\tchild.block { attr = false }\n\tchild.block { attr = true }\n}",
        &scope,
    )
    .unwrap();
    assert_eq!(got.value, 10);
    assert_eq!(
        got.children,
        vec![
            Child { attr: true },
            Child { attr: false },
            Child { attr: true }
        ]
    );

    #[derive(Debug)]
    struct BlockOnly(#[allow(dead_code)] Option<Child>);
    impl Decode for BlockOnly {
        fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
            Ok(BlockOnly(d.block("child")?))
        }
    }
    assert_eq!(
        block_result::<BlockOnly>("some_block {\n\t\t\tchild = 15\n\t\t}", &scope).unwrap_err(),
        "test:2:4: \"child\" must be a block, but is used as an attribute"
    );
    assert_eq!(
        block_result::<BlockOnly>(
            "some_block {\n\tchild { attr = true }\n\tchild { attr = false }\n}",
            &scope
        )
        .unwrap_err(),
        "test:3:2: block \"child\" may only be specified once"
    );
    assert_eq!(
        block_result::<WithChild>("some_block {\n\t\t\tvalue = 15\n\t\t}", &scope).unwrap_err(),
        "test:1:1: missing required block \"child.block\""
    );
    assert_eq!(
        block_result::<NumberString>(
            "some_block {\n\t\t\tnumber = 15\n\t\t\tstring = \"x\"\n\t\t\tchild.block { attr = true }\n\t\t}",
            &scope
        )
        .unwrap_err(),
        "test:4:4: unrecognized block name \"child.block\""
    );
    // Errors in several repeated blocks are all reported, each at its place.
    assert_eq!(
        block_result::<WithChildren>(
            "some_block {\n\tvalue = 1\n\tchild.block { attr = 1 }\n\tchild.block { }\n}",
            &scope
        )
        .unwrap_err(),
        "test:3:23: 1 should be bool, got number\ntest:4:2: missing required attribute \"attr\""
    );
}

#[derive(Debug, PartialEq)]
enum Stage {
    A(i64),
    B(i64),
}

#[derive(Debug, PartialEq)]
struct Stages {
    value: i64,
    stages: Vec<Stage>,
}

impl Decode for Stages {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(Stages {
            value: d.required("value")?,
            stages: d.enum_blocks(&["child.a", "child.b"], |name, d| {
                let attr = d.required("attr")?;
                Ok(if name == "child.a" {
                    Stage::A(attr)
                } else {
                    Stage::B(attr)
                })
            })?,
        })
    }
}

#[test]
fn enum_blocks_keep_source_order() {
    let got: Stages = block_result(
        "some_block {\n\tvalue = 15\n\n\tchild.a { attr = 1 }\n\tchild.b { attr = 2 }\n\tchild.a { attr = 4 }\n}",
        &Scope::new(),
    )
    .unwrap();
    assert_eq!(
        got,
        Stages {
            value: 15,
            stages: vec![Stage::A(1), Stage::B(2), Stage::A(4)]
        }
    );
    assert_eq!(
        block_result::<Stages>(
            "some_block {\n\tvalue = 15\n\tchild.c { attr = 1 }\n}",
            &Scope::new()
        )
        .unwrap_err(),
        "test:3:2: unrecognized block name \"child.c\""
    );
}

#[test]
fn labels() {
    #[derive(Debug, PartialEq)]
    struct Labeled(String);
    impl Decode for Labeled {
        fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
            Ok(Labeled(d.required_label()?))
        }
    }
    let scope = Scope::new();
    assert_eq!(
        block_result::<Labeled>("some_block \"label_value_1\" {}", &scope).unwrap(),
        Labeled("label_value_1".into())
    );
    assert_eq!(
        block_result::<()>("some_block \"label_value_2\" {}", &scope).unwrap_err(),
        "test:1:1: block \"some_block\" does not support specifying labels"
    );
    assert_eq!(
        block_result::<Labeled>("some_block {}", &scope).unwrap_err(),
        "test:1:1: block \"some_block\" requires non-empty label"
    );
    assert_eq!(
        block_result::<Labeled>("some_block \"\" {}", &scope).unwrap_err(),
        "test:1:1: block \"some_block\" requires non-empty label"
    );

    // A component's own label is not part of its arguments.
    let file = parse("prometheus.scrape \"default\" {\n\tvalue = 1\n}");
    let mut ev = Evaluator::new(&file.source, &scope);
    #[derive(Debug)]
    struct Args(i64);
    impl Decode for Args {
        fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
            Ok(Args(d.required("value")?))
        }
    }
    assert_eq!(
        decode_args::<Args>(first_block(&file), &mut ev).unwrap().0,
        1
    );
    let file = parse("prometheus.scrape \"default\" {\n}");
    let mut ev = Evaluator::new(&file.source, &scope);
    assert_eq!(
        decode_args::<Args>(first_block(&file), &mut ev)
            .unwrap_err()
            .to_string(),
        "test:1:1: missing required attribute \"value\""
    );
}

#[test]
fn map_blocks() {
    #[derive(Debug, PartialEq)]
    struct Outer(BTreeMap<String, Value>);
    impl Decode for Outer {
        fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
            Ok(Outer(d.required_block("some.settings")?))
        }
    }
    let scope = Scope::new();
    let got = body_result::<Outer>(
        "some.settings {\n\tfield_a = 12345\n\tfield_b = \"helloworld\"\n}",
        &scope,
    )
    .unwrap();
    assert_eq!(
        Value::from(got.0).to_string(),
        "{ field_a = 12345, field_b = \"helloworld\" }"
    );
    assert_eq!(
        body_result::<Outer>("some.settings \"foo\" {\n\tfield_a = 12345\n}", &scope).unwrap_err(),
        "test:1:1: block \"some.settings\" requires empty label"
    );
    assert_eq!(
        body_result::<Outer>(
            "some.settings {\n\tinner_map {\n\t\tfield_a = 12345\n\t}\n}",
            &scope
        )
        .unwrap_err(),
        "test:2:2: nested blocks not supported here"
    );
}

#[derive(Clone, PartialEq, Debug)]
struct Receiver(Arc<str>);
crate::capsule_type!(Receiver, "test.Receiver");

#[derive(Debug)]
struct Typed {
    timeout: Duration,
    password: Secret,
    content: OptionalSecret,
    forward_to: Vec<Receiver>,
    labels: BTreeMap<String, String>,
    ratio: f64,
    enabled: bool,
}

impl Decode for Typed {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(Typed {
            timeout: d.optional_or("timeout", Duration::from_secs(10))?,
            password: d.optional_or("password", Secret::default())?,
            content: d.optional_or("content", OptionalSecret::default())?,
            forward_to: d.optional_or("forward_to", Vec::new())?,
            labels: d.optional_or("labels", BTreeMap::new())?,
            ratio: d.optional_or("ratio", 0.5)?,
            enabled: d.optional_or("enabled", true)?,
        })
    }
}

#[test]
fn typed_attributes() {
    let scope = Scope::new()
        .with("recv", Receiver("a".into()))
        .with("other", Capsule::new("test.Other", 1i32))
        .with("pw", Secret::new("s3cret"));
    let got: Typed = body_result(
        "timeout = \"1m30s\"\npassword = \"hunter2\"\ncontent = pw\nforward_to = [recv, recv]\nlabels = { a = \"b\", n = 1 }\nratio = \"0.25\"\n",
        &scope,
    )
    .unwrap();
    assert_eq!(got.timeout, Duration::from_secs(90));
    assert_eq!(got.password.expose(), "hunter2");
    assert_eq!(got.content, OptionalSecret::secret("s3cret"));
    assert_eq!(
        got.forward_to,
        vec![Receiver("a".into()), Receiver("a".into())]
    );
    assert_eq!(got.labels.get("n").map(String::as_str), Some("1"));
    assert_eq!(got.ratio, 0.25);
    assert!(got.enabled);

    let defaults: Typed = body_result("", &scope).unwrap();
    assert_eq!(defaults.timeout, Duration::from_secs(10));
    // An explicit null is the zero value, as in Alloy.
    let nulls: Typed = body_result("timeout = null\nenabled = null", &scope).unwrap();
    assert_eq!((nulls.timeout, nulls.enabled), (Duration::ZERO, false));

    let err = |src: &str| body_result::<Typed>(src, &scope).unwrap_err();
    assert_eq!(
        err("timeout = \"abc\""),
        "test:1:11: \"abc\" time: invalid duration \"abc\""
    );
    assert_eq!(
        err("timeout = 5"),
        "test:1:11: 5 time: missing unit in duration \"5\""
    );
    assert_eq!(
        err("forward_to = [recv, other]"),
        "test:1:21: other expected capsule(\"test.Receiver\"), got capsule(\"test.Other\")"
    );
    assert_eq!(
        err("forward_to = [\"x\"]"),
        "test:1:15: \"x\" expected capsule(\"test.Receiver\"), got string"
    );
    assert_eq!(
        err("labels = { a = pw }"),
        "test:1:16: pw secrets may not be converted into strings"
    );
    assert_eq!(
        err("password = 1"),
        "test:1:12: 1 should be capsule, got number"
    );
    assert_eq!(
        err("enabled = \"true\""),
        "test:1:11: \"true\" should be bool, got string"
    );
    assert_eq!(
        err("ratio = \"x\""),
        "test:1:9: \"x\" should be number, got string"
    );
    assert_eq!(
        err("ratio = nope"),
        "test:1:9: identifier \"nope\" does not exist"
    );
}

#[test]
fn validation_errors_have_places() {
    #[derive(Debug)]
    struct Validated(#[allow(dead_code)] i64);
    impl Decode for Validated {
        fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
            let port: i64 = d.required("port")?;
            if port > 65535 {
                return Err(d.error_at_attr("port", format!("port {port} is out of range")));
            }
            Ok(Validated(port))
        }
    }
    assert_eq!(
        block_result::<Validated>("server {\n\tport = 70000\n}", &Scope::new()).unwrap_err(),
        "test:2:9: port 70000 is out of range"
    );
    #[derive(Debug)]
    struct Silent;
    impl Decode for Silent {
        fn decode(_: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
            Err(Failed)
        }
    }
    assert_eq!(
        block_result::<Silent>("server {}", &Scope::new()).unwrap_err(),
        "test:1:1: invalid block"
    );
}
