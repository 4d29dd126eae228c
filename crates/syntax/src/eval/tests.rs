//! Evaluation cases, most taken from Alloy's `vm_test.go`, `vm_errors_test.go`, `vm_stdlib_test.go` and
//! `op_binary_test.go`, with the values and messages Alloy gives.

use std::sync::Arc;

use expect_test::expect;

use super::*;
use crate::parser::parse_expression;
use crate::value::{go_quote, Capsule, Secret};

/// A value written with its number kinds visible: `int(3)`, `uint(3)`, `float(0.5)`.
fn typed(v: &Value) -> String {
    match v {
        Value::Number(Number::Int(i)) => format!("int({i})"),
        Value::Number(Number::Uint(u)) => format!("uint({u})"),
        Value::Number(Number::Float(f)) => format!("float({f:?})"),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(typed).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(fields) => {
            let inner: Vec<String> = fields
                .iter()
                .map(|(k, v)| format!("{k} = {}", typed(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
        Value::Secret(s) => format!("secret({:?})", s.expose()),
        Value::OptionalSecret(s) => format!("optional_secret({:?}, {})", s.expose(), s.is_secret),
        other => other.to_string(),
    }
}

fn test_scope() -> Scope {
    Scope::new()
        .with("foobar", 42)
        .with(
            "key_value",
            Value::object([(
                "object",
                Value::object([(
                    "field1",
                    Value::array([15.into(), 30.into(), "Hello, world!".into()]),
                )]),
            )]),
        )
        .with("secretSecret", Secret::new("foo"))
        .with("secret_type_val", Secret::new("welcome"))
        .with("string_val", "hello")
        .with("non_secret_val", OptionalSecret::plain("world"))
        .with("secret_val", OptionalSecret::secret("secret"))
        .with("optionalSecretStr", OptionalSecret::plain("bar"))
        .with("optionalSecretInt", OptionalSecret::plain("123"))
        .with("person", Value::object([("name", Value::string(""))]))
        .with("cap", Capsule::new("test.Thing", 7u32))
        .with(
            "cap_obj",
            Capsule::new("test.Obj", 1u8)
                .with_object([("x".to_string(), Value::int(1))].into_iter().collect()),
        )
}

fn eval_with(src: &str, scope: &Scope, min: Stability) -> (Result<Value, String>, Vec<String>) {
    let file = SourceFile::new("test", src);
    let (expr, diags) = parse_expression(file.clone());
    assert!(!diags.has_errors(), "parse error in {src:?}: {diags}");
    let expr = expr.expect("an expression");
    let mut ev = Evaluator::new(&file, scope).with_min_stability(min);
    let result = ev.eval(&expr).map_err(|d| d.short());
    let warnings = ev.take_warnings().iter().map(|d| d.short()).collect();
    (result, warnings)
}

fn run(src: &str) -> String {
    match eval_with(src, &test_scope(), Stability::Experimental).0 {
        Ok(v) => typed(&v),
        Err(e) => format!("error: {e}"),
    }
}

fn table(cases: &[&str]) -> String {
    cases
        .iter()
        .map(|c| format!("{c}  =>  {}\n", run(c)))
        .collect()
}

#[test]
fn vm_evaluate_cases() {
    // TestVM_Evaluate: the Go test decodes into int/float64/bool, so only the values and kinds are compared.
    let cases = [
        ("true || false", "true"),
        ("false || false", "false"),
        ("true && false", "false"),
        ("true && true", "true"),
        ("3 == 5", "false"),
        ("3 == 3", "true"),
        ("3 != 5", "true"),
        ("3 < 5", "true"),
        ("3 <= 5", "true"),
        ("3 > 5", "false"),
        ("3 >= 5", "false"),
        ("3 + 5", "int(8)"),
        ("3 - 5", "int(-2)"),
        ("3 * 5", "int(15)"),
        ("3.0 / 5.0", "float(0.6)"),
        ("5 % 3", "int(2)"),
        ("3 ^ 5", "int(243)"),
        ("3 ^ 0", "int(1)"),
        ("3 ^ 1", "int(3)"),
        ("0 ^ 1", "int(0)"),
        ("3 + 5 * 2", "int(13)"),
        ("42.0^-2", "float(0.0005668934240362812)"),
        ("foobar", "int(42)"),
        ("[]", "[]"),
        ("[0, 1, 2]", "[int(0), int(1), int(2)]"),
        ("[true, false]", "[true, false]"),
        ("{ a = 5, b = 10 }", "{a = int(5), b = int(10)}"),
        ("{ a = 15 }.a", "int(15)"),
        ("{ a = { b = 12 } }.a.b", "int(12)"),
        ("{}[\"foo\"]", "null"),
        ("[0, 1, 2][1]", "int(1)"),
        ("[[1,2,3]][0][2]", "int(3)"),
        ("[true, false][0]", "true"),
        ("(15)", "int(15)"),
        ("!true", "false"),
        ("!false", "true"),
        ("-15", "int(-15)"),
        ("null", "null"),
        ("person.name", "\"\""),
    ];
    for (src, want) in cases {
        assert_eq!(run(src), want, "{src}");
    }
}

#[test]
fn vm_error_cases() {
    let cases = [
        (
            "foobar2",
            "error: test:1:1: identifier \"foobar2\" does not exist",
        ),
        (
            "{ a = 15 }.b",
            "error: test:1:12: field \"b\" does not exist",
        ),
        // op_binary_test.go
        (
            "secret_val - string_val",
            "error: test:1:1: secret_val should be one of [number] for binop -, got capsule",
        ),
        (
            "string_val - secret_val",
            "error: test:1:1: string_val should be one of [number] for binop -, got capsule",
        ),
        // vm_stdlib_test.go TestVM_Stdlib_Errors / TestStdlibGroupBy_Errors
        (
            r#"array.combine_maps([{"a" = "a1", "b" = "b1"}], "a", ["a"])"#,
            "error: test:1:48: \"a\" should be array, got string",
        ),
        (
            r#"array.combine_maps([{"a" = "a1", "b" = "b1"}], ["a"], ["a"])"#,
            "error: test:1:49: \"a\" should be object, got string",
        ),
        (
            r#"array.combine_maps([{"a" = "a1", "b" = "b1"}], [{"a" = "a1", "c" = "b1"}], [])"#,
            "error: test:1:76: [] combine_maps: merge conditions must not be empty",
        ),
        (
            "encoding.to_json(12)",
            "error: test:1:1: encoding.to_json jsonEncode only supports map",
        ),
        (
            r#"array.group_by([{"name" = "alice"}], "age")"#,
            "error: test:1:1: group_by: expected 3 arguments, got 2",
        ),
        (
            r#"array.group_by("not an array", "age", false)"#,
            "error: test:1:16: \"not an array\" should be array, got string",
        ),
        (
            r#"array.group_by([{"name" = "alice"}], 123, false)"#,
            "error: test:1:38: 123 should be string, got number",
        ),
        (
            r#"array.group_by([{"name" = "alice"}], "age", "not a bool")"#,
            "error: test:1:45: \"not a bool\" should be bool, got string",
        ),
        (
            r#"array.group_by(["not an object"], "age", false)"#,
            "error: test:1:17: \"not an object\" should be object, got string",
        ),
        (
            r#"array.group_by([{"name" = "alice", "age" = 20}], "age", false)"#,
            "error: test:1:44: 20 should be string, got number",
        ),
    ];
    for (src, want) in cases {
        assert_eq!(run(src), want, "{src}");
    }
}

#[test]
fn capsule_and_secret_operations() {
    // op_binary_test.go TestVM_Capsule_Conversion, with the result before Go's decode into the target type.
    let cases = [
        ("string_val + non_secret_val", "\"helloworld\""),
        ("non_secret_val + string_val", "\"worldhello\""),
        ("\"world\" == non_secret_val", "true"),
        ("non_secret_val == \"world\"", "true"),
        ("secret_val == secret_val", "true"),
        ("non_secret_val == non_secret_val", "true"),
        ("non_secret_val == secret_val", "false"),
        (
            "secret_val + string_val",
            "optional_secret(\"secrethello\", true)",
        ),
        (
            "non_secret_val + non_secret_val",
            "optional_secret(\"worldworld\", false)",
        ),
        (
            "secret_val + non_secret_val",
            "optional_secret(\"secretworld\", true)",
        ),
        (
            "non_secret_val + secret_val",
            "optional_secret(\"worldsecret\", true)",
        ),
        (
            "non_secret_val + secret_type_val",
            "secret(\"worldwelcome\")",
        ),
        ("secret_type_val + string_val", "secret(\"welcomehello\")"),
        (
            "secret_type_val + non_secret_val",
            "secret(\"welcomeworld\")",
        ),
        ("secret_type_val + secret_val", "secret(\"welcomesecret\")"),
        (
            "secret_type_val + secret_type_val",
            "secret(\"welcomewelcome\")",
        ),
        (
            "string_val + secret_val",
            "optional_secret(\"hellosecret\", true)",
        ),
        ("string_val + string_val", "\"hellohello\""),
        ("string_val + secret_type_val", "secret(\"hellowelcome\")"),
        ("secretSecret == \"foo\"", "true"),
    ];
    for (src, want) in cases {
        assert_eq!(run(src), want, "{src}");
    }
    // What Go's decode into the test's target type then does.
    let scope = test_scope();
    let conv = |src: &str| {
        eval_with(src, &scope, Stability::GenerallyAvailable)
            .0
            .unwrap()
    };
    assert_eq!(
        Secret::from_value(&conv("non_secret_val + non_secret_val"))
            .unwrap()
            .expose(),
        "worldworld"
    );
    assert_eq!(
        String::from_value(&conv("optionalSecretStr")).unwrap(),
        "bar"
    );
    assert_eq!(i64::from_value(&conv("optionalSecretInt")).unwrap(), 123);
    assert_eq!(
        String::from_value(&conv("secretSecret"))
            .unwrap_err()
            .message,
        "secrets may not be converted into strings"
    );
}

#[test]
fn literal_conversions() {
    // TestVM_Evaluate_Literals.
    let scope = Scope::new();
    let v = |src: &str| {
        eval_with(src, &scope, Stability::GenerallyAvailable)
            .0
            .unwrap()
    };
    assert_eq!(i64::from_value(&v("12")).unwrap(), 12);
    assert_eq!(i8::from_value(&v("13")).unwrap(), 13);
    assert_eq!(u16::from_value(&v("19")).unwrap(), 19);
    assert_eq!(f32::from_value(&v("22")).unwrap(), 22.0);
    assert_eq!(String::from_value(&v("24")).unwrap(), "24");
    assert_eq!(f32::from_value(&v("3.2")).unwrap(), 3.2);
    assert_eq!(String::from_value(&v("3.9")).unwrap(), "3.9");
    assert_eq!(f64::from_value(&v(".5")).unwrap(), 0.5);
    assert_eq!(String::from_value(&v(".9")).unwrap(), "0.9");
    assert_eq!(
        String::from_value(&v("\"Hello, world!\"")).unwrap(),
        "Hello, world!"
    );
    assert_eq!(i64::from_value(&v("\"12\"")).unwrap(), 12);
    assert_eq!(f64::from_value(&v("\"12\"")).unwrap(), 12.0);
}

#[test]
fn literals_too_large_for_a_float_are_errors_as_in_alloy() {
    // Alloy's ValueFromLiteral returns ParseFloat's range error (checked with go1.26.5's strconv).
    let scope = Scope::new();
    let err = |src: &str| {
        eval_with(src, &scope, Stability::GenerallyAvailable)
            .0
            .unwrap_err()
    };
    assert_eq!(
        err("1e999999999"),
        "test:1:1: strconv.ParseFloat: parsing \"1e999999999\": value out of range"
    );
    assert_eq!(
        err("-1.8e308"),
        "test:1:2: strconv.ParseFloat: parsing \"1.8e308\": value out of range"
    );
    let nines = "9".repeat(400);
    assert_eq!(
        err(&nines),
        format!("test:1:1: strconv.ParseFloat: parsing \"{nines}\": value out of range")
    );
    // Underflow is no error in Go: the value is 0.
    let zero = eval_with("1e-999999999", &scope, Stability::GenerallyAvailable)
        .0
        .unwrap();
    assert_eq!(f64::from_value(&zero).unwrap(), 0.0);
    let big = eval_with(
        "99999999999999999999999",
        &scope,
        Stability::GenerallyAvailable,
    )
    .0
    .unwrap();
    assert_eq!(f64::from_value(&big).unwrap(), 1e23);
}

#[test]
fn operators_and_number_kinds() {
    expect![[r#"
        1/2  =>  int(0)
        1/2.0  =>  float(0.5)
        7 % -3  =>  int(1)
        -7 % 3  =>  int(-1)
        7.5 % 2  =>  float(1.5)
        2 ^ 10  =>  int(1024)
        2 ^ -1  =>  int(2)
        0 ^ 0  =>  int(1)
        1 ^ -5  =>  int(1)
        2.0 ^ 0.5  =>  float(1.4142135623730951)
        -2^2  =>  int(4)
        2^3^2  =>  int(512)
        010  =>  int(8)
        09  =>  float(9.0)
        010 + 09  =>  float(17.0)
        9223372036854775807 + 1  =>  int(-9223372036854775808)
        18446744073709551615  =>  uint(18446744073709551615)
        18446744073709551615 + 1  =>  int(0)
        18446744073709551615 + 1.0  =>  float(1.8446744073709552e19)
        18446744073709551616  =>  float(1.8446744073709552e19)
        -18446744073709551615  =>  int(1)
        1 == 1.0  =>  true
        1 != 1.0  =>  false
        3 < 3.5  =>  true
        "a" < "b"  =>  true
        "b" <= "a"  =>  false
        "abc" > "abd"  =>  false
        "Z" < "a"  =>  true
        [1, [2, {a = 3}]] == [1, [2, {a = 3.0}]]  =>  true
        {a = 1} == {a = 1, b = 2}  =>  false
        null == null  =>  true
        null == false  =>  false
        1 == "1"  =>  false
        string.format == string.format  =>  false
        cap == cap  =>  true
        "a" + "b"  =>  "ab"
        1 / 0  =>  error: test:1:5: 0 divide by zero error
        1 % 0  =>  error: test:1:5: 0 divide by zero error
        1.0 / 0.0  =>  error: test:1:7: 0.0 divide by zero error
        1 + "a"  =>  error: test:1:5: "a" should be number, got string
        "a" + 1  =>  error: test:1:7: 1 should be string, got number
        true + 1  =>  error: test:1:1: true should be one of [number string capsule] for binop +, got bool
        1 - "a"  =>  error: test:1:5: "a" should be one of [number] for binop -, got string
        1 || true  =>  error: test:1:1: 1 should be one of [bool] for binop ||, got number
        true && "x"  =>  error: test:1:9: "x" should be one of [bool] for binop &&, got string
        [1] < [2]  =>  error: test:1:1: [1] should be one of [number string] for binop <, got array
        cap + cap  =>  error: test:1:1: cap could not perform binop + for unknown types lhs capsule rhs capsule
        non_secret_val + 1  =>  error: test:1:18: 1 should be capsule, got number
        !1  =>  error: test:1:2: 1 should be bool, got number
        -"a"  =>  error: test:1:2: "a" should be number, got string
        -(1 + 2)  =>  int(-3)
        true || (1/0 == 1)  =>  error: test:1:12: 0 divide by zero error
    "#]]
    .assert_eq(&table(&[
        "1/2",
        "1/2.0",
        "7 % -3",
        "-7 % 3",
        "7.5 % 2",
        "2 ^ 10",
        "2 ^ -1",
        "0 ^ 0",
        "1 ^ -5",
        "2.0 ^ 0.5",
        "-2^2",
        "2^3^2",
        "010",
        "09",
        "010 + 09",
        "9223372036854775807 + 1",
        "18446744073709551615",
        "18446744073709551615 + 1",
        "18446744073709551615 + 1.0",
        "18446744073709551616",
        "-18446744073709551615",
        "1 == 1.0",
        "1 != 1.0",
        "3 < 3.5",
        "\"a\" < \"b\"",
        "\"b\" <= \"a\"",
        "\"abc\" > \"abd\"",
        "\"Z\" < \"a\"",
        "[1, [2, {a = 3}]] == [1, [2, {a = 3.0}]]",
        "{a = 1} == {a = 1, b = 2}",
        "null == null",
        "null == false",
        "1 == \"1\"",
        "string.format == string.format",
        "cap == cap",
        "\"a\" + \"b\"",
        "1 / 0",
        "1 % 0",
        "1.0 / 0.0",
        "1 + \"a\"",
        "\"a\" + 1",
        "true + 1",
        "1 - \"a\"",
        "1 || true",
        "true && \"x\"",
        "[1] < [2]",
        "cap + cap",
        "non_secret_val + 1",
        "!1",
        "-\"a\"",
        "-(1 + 2)",
        "true || (1/0 == 1)",
    ]));
}

#[test]
fn access_index_and_calls() {
    expect![[r#"
        [1, 2, 3][5]  =>  error: test:1:11: 5 index 5 is out of range of array with length 3
        [1, 2, 3][-1]  =>  error: test:1:11: -1 index -1 is out of range of array with length 3
        [1, 2, 3][1.9]  =>  int(2)
        [1, 2, 3]["a"]  =>  error: test:1:11: "a" should be number, got string
        {a = 1}[1]  =>  error: test:1:9: 1 should be string, got number
        {a = 1}["b"]  =>  null
        {"a b" = 1}["a b"]  =>  int(1)
        1[0]  =>  error: test:1:1: 1 expected object or array, got number
        "abc".len  =>  error: test:1:1: "abc" cannot access field "len" on value of type string
        cap.x  =>  error: test:1:1: cap expected object or array or a capsule convertible to an object, got capsule
        cap["x"]  =>  error: test:1:1: cap expected object or array or a capsule convertible to an object, got capsule
        cap_obj.x  =>  int(1)
        cap_obj["x"]  =>  int(1)
        cap_obj["y"]  =>  null
        cap_obj.y  =>  error: test:1:9: field "y" does not exist
        secretSecret.x  =>  error: test:1:1: secretSecret expected object or array or a capsule convertible to an object, got capsule
        key_value.object.field1[2]  =>  "Hello, world!"
        foobar()  =>  error: test:1:1: foobar should be function, got number
        string.nope  =>  error: test:1:8: field "nope" does not exist
        string.format()  =>  error: test:1:1: string.format expected at least 1 args, got 0
        string.to_upper()  =>  error: test:1:1: string.to_upper expected 1 args, got 0
        string.to_upper(1, 2)  =>  error: test:1:1: string.to_upper expected 1 args, got 2
        string.to_upper([1])  =>  error: test:1:17: [1] should be string, got array
        string.join([1, [2]], ",")  =>  error: test:1:17: [2] should be string, got array
        string.join(key_value.object.field1, ",")  =>  "15,30,Hello, world!"
        string.join([key_value], ",")  =>  error: test:1:14: key_value should be string, got object
        string.to_upper(secretSecret)  =>  error: test:1:17: secretSecret secrets may not be converted into strings
        convert.nonsensitive(1)  =>  error: test:1:22: 1 should be capsule, got number
        sys  =>  {env = function}
        (1 + 2) * 3  =>  int(9)
        {a = 1, a = 2}.a  =>  int(2)
    "#]]
    .assert_eq(&table(&[
        "[1, 2, 3][5]",
        "[1, 2, 3][-1]",
        "[1, 2, 3][1.9]",
        "[1, 2, 3][\"a\"]",
        "{a = 1}[1]",
        "{a = 1}[\"b\"]",
        "{\"a b\" = 1}[\"a b\"]",
        "1[0]",
        "\"abc\".len",
        "cap.x",
        "cap[\"x\"]",
        "cap_obj.x",
        "cap_obj[\"x\"]",
        "cap_obj[\"y\"]",
        "cap_obj.y",
        "secretSecret.x",
        "key_value.object.field1[2]",
        "foobar()",
        "string.nope",
        "string.format()",
        "string.to_upper()",
        "string.to_upper(1, 2)",
        "string.to_upper([1])",
        "string.join([1, [2]], \",\")",
        "string.join(key_value.object.field1, \",\")",
        "string.join([key_value], \",\")",
        "string.to_upper(secretSecret)",
        "convert.nonsensitive(1)",
        "sys",
        "(1 + 2) * 3",
        "{a = 1, a = 2}.a",
    ]));
}

#[test]
fn stdlib_cases() {
    std::env::set_var("INGOT_TEST_VAR", "Hello!");
    // TestVM_Stdlib, TestStdlib_StringFunc, TestStdlibFileFunc, TestStdlibJsonPath, TestStdlib_Nonsensitive.
    let cases = [
        ("env(\"INGOT_TEST_VAR\")", "\"Hello!\""),
        ("sys.env(\"INGOT_TEST_VAR\")", "\"Hello!\""),
        ("sys.env(\"INGOT_TEST_UNSET_VAR\")", "\"\""),
        (
            "concat([true, \"foo\"], [], [false, 1])",
            "[true, \"foo\", false, int(1)]",
        ),
        (
            "array.concat([true, \"foo\"], [], [false, 1])",
            "[true, \"foo\", false, int(1)]",
        ),
        ("array.concat()", "[]"),
        (
            "json_decode(\"{\\\"foo\\\": \\\"bar\\\"}\")",
            "{foo = \"bar\"}",
        ),
        ("yaml_decode(`foo: bar`)", "{foo = \"bar\"}"),
        (
            "base64_decode(\"Zm9vYmFyMTIzIT8kKiYoKSctPUB+\")",
            "\"foobar123!?$*&()'-=@~\"",
        ),
        (
            "encoding.from_json(\"{\\\"foo\\\": \\\"bar\\\"}\")",
            "{foo = \"bar\"}",
        ),
        (
            "encoding.from_json(\"[0, 1, 2]\")",
            "[float(0.0), float(1.0), float(2.0)]",
        ),
        (
            "encoding.from_json(\"{\\\"foo\\\": null}\")",
            "{foo = null}",
        ),
        ("encoding.from_json(\"[0, null]\")", "[float(0.0), null]"),
        ("encoding.from_yaml(`foo: bar`)", "{foo = \"bar\"}"),
        (
            "encoding.from_yaml(`[0, 1, 2]`)",
            "[int(0), int(1), int(2)]",
        ),
        (
            "encoding.from_yaml(`[0.0, 1.0, 2.0]`)",
            "[float(0.0), float(1.0), float(2.0)]",
        ),
        ("encoding.from_yaml(`foo: null`)", "{foo = null}"),
        ("encoding.from_yaml(\"[0, null]\")", "[int(0), null]"),
        (
            "encoding.from_base64(\"Zm9vYmFyMTIzIT8kKiYoKSctPUB+\")",
            "\"foobar123!?$*&()'-=@~\"",
        ),
        (
            "encoding.from_URLbase64(\"c3RyaW5nMTIzIT8kKiYoKSctPUB-\")",
            "\"string123!?$*&()'-=@~\"",
        ),
        (
            "encoding.to_base64(\"string123!?$*&()'-=@~\")",
            "\"c3RyaW5nMTIzIT8kKiYoKSctPUB+\"",
        ),
        (
            "encoding.to_URLbase64(\"string123!?$*&()'-=@~\")",
            "\"c3RyaW5nMTIzIT8kKiYoKSctPUB-\"",
        ),
        (
            "encoding.url_encode(\"string123!?$*&()'-=@~\")",
            "\"string123%21%3F%24%2A%26%28%29%27-%3D%40~\"",
        ),
        (
            "encoding.url_decode(\"string123%21%3F%24%2A%26%28%29%27-%3D%40~\")",
            "\"string123!?$*&()'-=@~\"",
        ),
        (
            r#"encoding.to_json({"modules"={"http_2xx"={"prober"="http","timeout"="5s","http"={"headers"={"Authorization"=sys.env("INGOT_TEST_VAR")}}}}})"#,
            r#""{\"modules\":{\"http_2xx\":{\"http\":{\"headers\":{\"Authorization\":\"Hello!\"}},\"prober\":\"http\",\"timeout\":\"5s\"}}}""#,
        ),
        ("to_lower(\"String\")", "\"string\""),
        ("to_upper(\"string\")", "\"STRING\""),
        ("trim_space(\"   string \\n\\n\")", "\"string\""),
        (
            "to_lower(to_upper(trim_space(\"   String   \")))",
            "\"string\"",
        ),
        (
            "split(\"/aaa/bbb/ccc/ddd\", \"/\")",
            "[\"\", \"aaa\", \"bbb\", \"ccc\", \"ddd\"]",
        ),
        ("split(\"/aaa/bbb/ccc/ddd\", \"/\")[0]", "\"\""),
        (
            "join(split(\"/aaa/bbb/ccc/ddd\", \"/\"), \"/\")",
            "\"/aaa/bbb/ccc/ddd\"",
        ),
        (
            "join([\"foo\", \"bar\", \"baz\"], \", \")",
            "\"foo, bar, baz\"",
        ),
        ("join([0, 0, 1], \", \")", "\"0, 0, 1\""),
        ("format(\"Hello %s\", \"World\")", "\"Hello World\""),
        ("format(\"%#v\", 1)", "\"1\""),
        ("format(\"%#v\", true)", "\"true\""),
        ("format(\"%q\", \"hello\")", "\"\\\"hello\\\"\""),
        ("replace(\"Hello World\", \" World\", \"!\")", "\"Hello!\""),
        ("trim(\"?!hello?!\", \"!?\")", "\"hello\""),
        ("trim(\"   hello! world.!  \", \"! \")", "\"hello! world.\""),
        ("trim_prefix(\"helloworld\", \"hello\")", "\"world\""),
        ("trim_suffix(\"helloworld\", \"world\")", "\"hello\""),
        ("string.to_lower(\"String\")", "\"string\""),
        ("string.split(\"a\", \"\")", "[\"a\"]"),
        ("string.split(\"héj\", \"\")", "[\"h\", \"é\", \"j\"]"),
        ("string.format(\"%d-%s\", 5, \"x\")", "\"5-x\""),
        ("string.format(\"%v\", [1, \"a\"])", "\"[1 a]\""),
        ("string.format(\"%d\", \"hi\")", "\"%!d(string=hi)\""),
        ("string.replace(\"abc\", \"\", \"-\")", "\"-a-b-c-\""),
        (
            "file.path_join(\"this/is\", \"a/path\")",
            "\"this/is/a/path\"",
        ),
        ("file.path_join()", "\"\""),
        ("json_path(\"{\\\"a\\\": \\\"b\\\"}\", \".a\")", "[\"b\"]"),
        (
            "json_path(\"{\\\"a\\\": \\\"b\\\"}\", \".nonexists\")",
            "[]",
        ),
        ("json_path(\"{\\\"a\\\": \\\"b\\\"}\", \".a\")[0]", "\"b\""),
        (
            r#"json_path("[{\"name\": \"Department\",\"value\": \"IT\"},{\"name\":\"ReferenceNumber\",\"value\":\"123456\"},{\"name\":\"TestStatus\",\"value\":\"Pending\"}]", "[?(@.name == \"Department\")].value")"#,
            "[\"IT\"]",
        ),
        ("json_path(\"{\\\"a\\\": 1}\", \"$.a\")", "[int(1)]"),
        ("nonsensitive(secretSecret)", "\"foo\""),
        ("convert.nonsensitive(secretSecret)", "\"foo\""),
        ("convert.nonsensitive(optionalSecretStr)", "\"bar\""),
        ("convert.nonsensitive(\"plain\")", "\"plain\""),
        ("constants.version", "\"v0.0.0\""),
    ];
    for (src, want) in cases {
        assert_eq!(run(src), want, "{src}");
    }
    assert_eq!(run("constants.os"), format!("\"{}\"", stdlib::go_os()));
}

#[test]
fn stdlib_error_texts() {
    expect![[r#"
        encoding.from_json("{")  =>  error: test:1:1: encoding.from_json unexpected end of JSON input
        encoding.from_json("[1,]")  =>  error: test:1:1: encoding.from_json invalid character ']' looking for beginning of value
        encoding.from_base64("YQ")  =>  error: test:1:1: encoding.from_base64 illegal base64 data at input byte 0
        encoding.url_decode("%zz")  =>  error: test:1:1: encoding.url_decode invalid URL escape "%zz"
        encoding.to_json([1])  =>  error: test:1:1: encoding.to_json jsonEncode only supports map
        encoding.from_yaml("a: [")  =>  error: test:1:1: encoding.from_yaml yaml: line 1: did not find expected node content
        json_path("{}", "$[")  =>  error: test:1:1: json_path expected an index at 3 in $[
        array.concat([1], 2)  =>  error: test:1:19: 2 should be array, got number
        array.combine_maps([], [])  =>  error: test:1:1: combine_maps: expected 3 or 4 arguments, got 2
        array.combine_maps([{a = 1}], [{a = 1}], ["a"], 1)  =>  error: test:1:49: 1 should be bool, got number
        array.combine_maps([{a = 1}], [{a = 1}], [1])  =>  error: test:1:43: 1 should be string, got number
    "#]]
    .assert_eq(&table(&[
        "encoding.from_json(\"{\")",
        "encoding.from_json(\"[1,]\")",
        "encoding.from_base64(\"YQ\")",
        "encoding.url_decode(\"%zz\")",
        "encoding.to_json([1])",
        "encoding.from_yaml(\"a: [\")",
        "json_path(\"{}\", \"$[\")",
        "array.concat([1], 2)",
        "array.combine_maps([], [])",
        "array.combine_maps([{a = 1}], [{a = 1}], [\"a\"], 1)",
        "array.combine_maps([{a = 1}], [{a = 1}], [1])",
    ]));
}

#[test]
fn combine_maps_cases() {
    // TestVM_Stdlib's array.combine_maps cases.
    let cases = [
        (
            r#"array.combine_maps([{"a" = "a1", "b" = "b1"}], [{"a" = "a1", "c" = "c1"}], ["a"])"#,
            r#"[{a = "a1", b = "b1", c = "c1"}]"#,
        ),
        (
            r#"array.combine_maps([{"a" = "a1", "b" = "b1"}, {"a" = "a1", "b" = "b1"}], [{"a" = "a1", "c" = "c1"}], ["a"])"#,
            r#"[{a = "a1", b = "b1", c = "c1"}, {a = "a1", b = "b1", c = "c1"}]"#,
        ),
        (
            r#"array.combine_maps([{"pod" = "a", "lbl" = "q"}, {"pod" = "b", "lbl" = "q"}], [{"pod" = "c", "lbl" = "q"}, {"pod" = "d", "lbl" = "q"}], ["lbl"])"#,
            r#"[{lbl = "q", pod = "c"}, {lbl = "q", pod = "d"}, {lbl = "q", pod = "c"}, {lbl = "q", pod = "d"}]"#,
        ),
        (
            r#"array.combine_maps([{"a" = 1, "b" = 2.2}], [{"a" = 1, "c" = "c1"}], ["a"])"#,
            r#"[{a = int(1), b = float(2.2), c = "c1"}]"#,
        ),
        (
            r#"array.combine_maps([{"a" = 1, "b" = 2.2}], [{"a" = 1, "b" = "3.3"}], ["a"])"#,
            r#"[{a = int(1), b = "3.3"}]"#,
        ),
        (
            r#"array.combine_maps([{"a" = 1, "b" = 2.2}], [{"a" = 2, "b" = "3.3"}], ["a"])"#,
            "[]",
        ),
        (
            r#"array.combine_maps([{"a" = 1, "b" = 4.2, "c" = 5}, {"d" = "asdf"}], [{"a" = 2, "b" = "5.3"}], ["a"], true)"#,
            r#"[{a = int(1), b = float(4.2), c = int(5)}, {d = "asdf"}]"#,
        ),
        (
            r#"array.combine_maps([{"a" = 1, "b" = 4.2, "c" = 5}, {"d" = "asdf"}, {"a" = 2, "b" = "1", "z" = "z1"}], [{"a" = 2, "b" = "5.3"}], ["a"], true)"#,
            r#"[{a = int(1), b = float(4.2), c = int(5)}, {d = "asdf"}, {a = int(2), b = "5.3", z = "z1"}]"#,
        ),
        (
            r#"array.combine_maps([{"a" = 1, "b" = 2.2}], [{"a" = "1", "b" = "3.3"}], ["a"])"#,
            "[]",
        ),
        (
            r#"array.combine_maps([{"a" = 1, "b" = [1,2,3]}], [{"a" = 1, "c" = {"d" = {"e" = 10}}}], ["a"])"#,
            "[{a = int(1), b = [int(1), int(2), int(3)], c = {d = {e = int(10)}}}]",
        ),
        (
            r#"array.combine_maps([{"a" = 1, "n" = 1.1}], [{"a" = 1, "n" = 2.1}, {"n" = 2.2}], ["a"])"#,
            "[{a = int(1), n = float(2.1)}]",
        ),
        (
            r#"array.combine_maps([{"a" = 1, "n" = 1.1}, {"n" = 1.2}], [{"a" = 1, "n" = 2.1}], ["a"])"#,
            "[{a = int(1), n = float(2.1)}]",
        ),
        (
            r#"array.combine_maps([{"a" = 1, "b" = 3, "n" = 1.1}], [{"a" = 1, "b" = 3, "n" = 2.1}], ["a", "b"])"#,
            "[{a = int(1), b = int(3), n = float(2.1)}]",
        ),
        (
            r#"array.combine_maps([{"a" = 1, "n" = 1.1}, {"a" = 1, "b" = 3, "n" = 1.1}, {"b" = 3, "n" = 1.1}], [{"a" = 1, "n" = 2.3}, {"b" = 1, "n" = 2.3}, {"a" = 1, "b" = 3, "n" = 2.1}], ["a", "b"])"#,
            "[{a = int(1), b = int(3), n = float(2.1)}]",
        ),
        (
            r#"array.combine_maps([{"a" = 1, "n" = 1.1}, {"a" = 1, "b" = 3, "n" = 1.1}, {"b" = 3, "n" = 1.1}], [{"a" = 1, "n" = 2.3}, {"b" = 1, "n" = 2.3}, {"a" = 1, "b" = 3, "n" = 2.1}], ["a", "b", "c"])"#,
            "[]",
        ),
    ];
    for (src, want) in cases {
        assert_eq!(run(src), want, "{src}");
    }
    let nine = run(
        r#"array.combine_maps([{"a" = 1, "n" = 1.1}, {"a" = 1, "n" = 1.2}, {"a" = 1, "n" = 1.3}], [{"a" = 1, "n" = 2.1}, {"a" = 1, "n" = 2.2}, {"a" = 1, "n" = 2.3}], ["a"])"#,
    );
    let row =
        "{a = int(1), n = float(2.1)}, {a = int(1), n = float(2.2)}, {a = int(1), n = float(2.3)}";
    assert_eq!(nine, format!("[{row}, {row}, {row}]"));
}

#[test]
fn group_by_cases() {
    // TestStdlibGroupBy (Alloy's group order is random; ours follows first appearance).
    let cases = [
        (
            r#"array.group_by([{"type" = "fruit", "name" = "apple"}, {"type" = "fruit", "name" = "banana"}, {"type" = "vegetable", "name" = "carrot"}], "type", false)"#,
            r#"[{items = [{name = "apple", type = "fruit"}, {name = "banana", type = "fruit"}], type = "fruit"}, {items = [{name = "carrot", type = "vegetable"}], type = "vegetable"}]"#,
        ),
        (
            r#"array.group_by([{"name" = "alice", "age" = "20"}, {"name" = "bob"}, {"name" = "charlie", "age" = "30"}], "age", true)"#,
            r#"[{age = "20", items = [{age = "20", name = "alice"}]}, {age = "30", items = [{age = "30", name = "charlie"}]}]"#,
        ),
        (
            r#"array.group_by([{"name" = "alice", "age" = "20"}, {"name" = "bob"}, {"name" = "charlie", "age" = "30"}], "age", false)"#,
            r#"[{age = "20", items = [{age = "20", name = "alice"}]}, {age = "", items = [{name = "bob"}]}, {age = "30", items = [{age = "30", name = "charlie"}]}]"#,
        ),
        (r#"array.group_by([], "age", false)"#, "[]"),
        (
            r#"array.group_by([{"name" = "alice"}, {"name" = "bob"}], "age", false)"#,
            r#"[{age = "", items = [{name = "alice"}, {name = "bob"}]}]"#,
        ),
        (
            r#"array.group_by([{"name" = "alice", "age" = 20, "address" = {"city" = "New York", "state" = "NY"}}], "address.city", false)"#,
            r#"[{address.city = "", items = [{address = {city = "New York", state = "NY"}, age = int(20), name = "alice"}]}]"#,
        ),
    ];
    for (src, want) in cases {
        assert_eq!(run(src), want, "{src}");
    }
}

#[test]
fn coalesce_cases() {
    // TestStdlibCoalesce.
    std::env::set_var("INGOT_TEST_VAR2", "Hello!");
    let cases = [
        ("coalesce()", "null"),
        ("coalesce(\"Hello!\")", "\"Hello!\""),
        (
            "coalesce(sys.env(\"INGOT_TEST_VAR2\"), \"World!\")",
            "\"Hello!\"",
        ),
        (
            "coalesce(sys.env(\"INGOT_NON_DEFINED\"), \"World!\")",
            "\"World!\"",
        ),
        ("coalesce([], [\"fallback\"])", "[\"fallback\"]"),
        (
            "coalesce(array.concat([\"item\"]), [\"fallback\"])",
            "[\"item\"]",
        ),
        ("coalesce(0, 1, 2)", "int(1)"),
        ("coalesce(false, 1, 2)", "int(1)"),
        ("coalesce(false, true)", "true"),
        ("coalesce(encoding.from_json(\"[]\"), true)", "true"),
        ("coalesce(encoding.from_json(\"{}\"), true)", "true"),
        ("coalesce(encoding.from_json(\"{}\"), false)", "false"),
        ("coalesce([],null)", "null"),
        (
            "coalesce(optionalSecretStr, 1)",
            "optional_secret(\"bar\", false)",
        ),
        ("coalesce(\"foo\", optionalSecretStr)", "\"foo\""),
        (
            "coalesce(optionalSecretInt, 1)",
            "optional_secret(\"123\", false)",
        ),
        ("coalesce(1, optionalSecretInt)", "int(1)"),
        ("coalesce(0.0, -0.0, 3)", "float(-0.0)"),
    ];
    for (src, want) in cases {
        assert_eq!(run(src), want, "{src}");
    }
}

#[test]
fn experimental_functions_need_the_stability_level() {
    let scope = Scope::new();
    let (result, _) = eval_with(
        r#"array.group_by([], "a", false)"#,
        &scope,
        Stability::GenerallyAvailable,
    );
    assert_eq!(
        result.unwrap_err(),
        "test:1:1: array.group_by is at stability level \"experimental\", which is below the minimum allowed stability \
         level \"generally-available\". Use --stability.level command-line flag to enable \"experimental\" features"
    );
    let (result, _) = eval_with(
        r#"array.combine_maps([], [], ["a"])"#,
        &scope,
        Stability::PublicPreview,
    );
    assert!(result
        .unwrap_err()
        .contains("minimum allowed stability level \"public-preview\""));
    let (result, _) = eval_with(
        r#"array.concat([1])"#,
        &scope,
        Stability::GenerallyAvailable,
    );
    assert_eq!(typed(&result.unwrap()), "[int(1)]");
}

#[test]
fn deprecated_names_warn_and_scope_shadows_stdlib() {
    let scope = Scope::new().with("string", Value::object([("format", Value::int(1))]));
    let (result, warnings) = eval_with(
        r#"to_upper("a") + string.format"#,
        &scope,
        Stability::GenerallyAvailable,
    );
    assert_eq!(
        result.unwrap_err(),
        "test:1:17: string.format should be string, got number"
    );
    assert_eq!(
        warnings,
        vec![format!("test:1:1: {}", stdlib::DEPRECATION_WARNING)]
    );
    let (_, warnings) = eval_with(
        r#"string.to_upper("a")"#,
        &Scope::new(),
        Stability::GenerallyAvailable,
    );
    assert!(warnings.is_empty());
}

#[test]
fn scope_paths_build_nested_objects() {
    let mut scope = Scope::new();
    scope.insert_path(
        &["prometheus", "exporter", "unix", "default"],
        Value::object([("targets", Value::array([]))]),
    );
    scope.insert_path(
        &["prometheus", "exporter", "unix", "other"],
        Value::object([("targets", Value::array(["x".into()]))]),
    );
    let (result, _) = eval_with(
        "prometheus.exporter.unix.other.targets[0]",
        &scope,
        Stability::GenerallyAvailable,
    );
    assert_eq!(typed(&result.unwrap()), "\"x\"");
    let (result, _) = eval_with(
        "prometheus.exporter.unix.default.nope",
        &scope,
        Stability::GenerallyAvailable,
    );
    assert_eq!(
        result.unwrap_err(),
        "test:1:34: field \"nope\" does not exist"
    );
}

#[test]
fn value_errors_point_into_literals() {
    // TestVM_ExprErrors, through eval_as and the path of the conversion error.
    let scope = test_scope();
    let check = |src: &str, convert: fn(&Value) -> Result<(), ValueError>| -> String {
        let file = SourceFile::new("test", src);
        let (expr, _) = parse_expression(file.clone());
        let expr = expr.unwrap();
        let mut ev = Evaluator::new(&file, &scope);
        let v = ev.eval(&expr).unwrap();
        ev.value_error(&expr, &convert(&v).unwrap_err()).short()
    };
    fn nested(v: &Value) -> Result<(), ValueError> {
        BTreeMap::<String, BTreeMap<String, Vec<i64>>>::from_value(v).map(|_| ())
    }
    use std::collections::BTreeMap;
    assert_eq!(
        check(
            "{\n  object = {\n    field1 = [15, 30, \"Hello, world!\"],\n  },\n}",
            nested
        ),
        "test:3:23: \"Hello, world!\" should be number, got string"
    );
    assert_eq!(
        check("key_value", nested),
        "test:1:1: key_value.object.field1[2] should be number, got string"
    );
    assert_eq!(
        check("{ object = key_value.object }", nested),
        "test:1:12: key_value.object.field1[2] should be number, got string"
    );
    assert_eq!(
        check("([0, 1, 2])", |v| String::from_value(v).map(|_| ())),
        "test:1:1: ([0, 1, 2]) should be string, got array"
    );
    assert_eq!(
        check("true", |v| Vec::<i64>::from_value(v).map(|_| ())),
        "test:1:1: true should be array, got bool"
    );
    assert_eq!(
        check("([1, \"x\"])", |v| Vec::<i64>::from_value(v).map(|_| ())),
        "test:1:6: \"x\" should be number, got string"
    );
}

#[test]
fn values_are_cheap_to_share() {
    let big = Value::array((0..1000).map(Value::int));
    let scope = Scope::new().with("big", big.clone());
    let (result, _) = eval_with("big", &scope, Stability::GenerallyAvailable);
    let (Value::Array(a), Value::Array(b)) = (big, result.unwrap()) else {
        panic!()
    };
    assert!(Arc::ptr_eq(&a, &b));
}

#[test]
fn from_json_refuses_nesting_past_the_limit_at_the_call() {
    // 40 KB of `[` once aborted the agent on reload.
    let src = format!("encoding.from_json(\"{}\")", "[".repeat(40_000));
    assert_eq!(
        run(&src),
        format!(
            "error: test:1:1: encoding.from_json invalid character '[' exceeded max depth of {}",
            crate::limits::MAX_DECODE_DEPTH
        )
    );
}

/// A "billion laughs" document: `levels` anchors, each a list of nine aliases of the one before.
fn alias_bomb(levels: usize) -> String {
    let names = "abcdefghijklmnopqrstuvwxyz".as_bytes();
    let mut doc = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for i in 1..levels {
        let (name, prev) = (names[i] as char, names[i - 1] as char);
        let items = vec![format!("*{prev}"); 9].join(",");
        doc.push_str(&format!("{name}: &{name} [{items}]\n"));
    }
    doc
}

#[test]
fn from_yaml_refuses_what_go_refuses() {
    let from_yaml = |doc: &str| run(&format!("encoding.from_yaml({})", go_quote(doc)));
    // Go's yaml.v3 refuses documents whose aliases make up too much of what decoding them reads.
    for levels in [5, 9] {
        assert_eq!(
            from_yaml(&alias_bomb(levels)),
            "error: test:1:1: encoding.from_yaml yaml: document contains excessive aliasing"
        );
    }
    // The 342 bytes that once took 2.1 GB.
    assert_eq!(alias_bomb(9).len(), 342);
    assert_eq!(
        from_yaml("a: &a [1, *a]"),
        "error: test:1:1: encoding.from_yaml yaml: anchor 'a' value contains itself"
    );
    // A few aliases are fine, and share what their anchor holds.
    assert_eq!(
        from_yaml("base: &b {x: 1}\none: *b\ntwo: [*b, *b]\n"),
        "{base = {x = int(1)}, one = {x = int(1)}, two = [{x = int(1)}, {x = int(1)}]}"
    );
    // Up to three levels of nine, a bomb is small enough for Go too.
    assert!(!from_yaml(&alias_bomb(3)).starts_with("error"));
    let depth = crate::limits::MAX_DECODE_DEPTH;
    for (doc, line) in [
        (format!("{}x", "- ".repeat(100_000)), 1),
        (format!("a: 1\nb: {}", "[".repeat(40_000)), 2),
        (format!("{}x", "- ".repeat(depth + 1)), 1),
    ] {
        assert_eq!(
            from_yaml(&doc),
            format!("error: test:1:1: encoding.from_yaml yaml: line {line}: exceeded max depth of {depth}")
        );
    }
    assert!(!from_yaml(&format!("{}x", "- ".repeat(depth))).starts_with("error"));
    // Aliases can nest deeper than the text does: the depth counts what they stand for.
    let mut chain = String::from("a0: &a0 [x]\n");
    for i in 1..=depth {
        chain.push_str(&format!("a{i}: &a{i} [*a{}]\n", i - 1));
    }
    assert_eq!(
        from_yaml(&chain),
        format!(
            "error: test:1:1: encoding.from_yaml yaml: line {depth}: exceeded max depth of {depth}"
        )
    );
}

#[test]
fn an_error_about_a_huge_string_quotes_its_start() {
    let huge = "a".repeat(1_000_000);
    let quoted = format!("\"{}…\"", "a".repeat(crate::limits::MAX_QUOTED_CHARS - 1));
    assert_eq!(
        run(&format!("-\"{huge}\"")),
        format!("error: test:1:2: {quoted} should be number, got string")
    );
    // Any expression is cut the same way.
    assert_eq!(
        run(&format!("[\"{huge}\"][0] * 2")),
        format!(
            "error: test:1:1: [\"{}… should be one of [number] for binop *, got string",
            "a".repeat(crate::limits::MAX_QUOTED_CHARS - 2)
        )
    );
}
