//! JMESPath for `stage.json`.

/// A compiled expression.
pub struct Expr(jmespath::Expression<'static>);

pub fn compile(text: &str) -> Result<Expr, String> {
    jmespath::compile(text).map(Expr).map_err(|e| e.to_string())
}

impl Expr {
    pub fn search_json(&self, data: &serde_json::Value) -> Result<serde_json::Value, String> {
        let var = jmespath::Variable::try_from(data).map_err(|e| e.to_string())?;
        let r = self.0.search(var).map_err(|e| e.to_string())?;
        serde_json::to_value(&*r).map_err(|e| e.to_string())
    }
}
