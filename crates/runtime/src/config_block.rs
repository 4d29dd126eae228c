//! Config blocks: the unlabeled top-level blocks that configure the agent rather than run as components
//! (`logging`, `http`, `tracing`, `livedebugging`; later `declare`, `argument`, `export`, `import.*`). Each
//! crate that owns one registers it beside the components, so the runtime hard-codes no block name: the
//! server crate owns `http`, the binary `logging`.
//!
//! A block absent from the configuration has its type's default value, so readers never handle "unset".

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use ingot_syntax::ast::Block;
use ingot_syntax::decode::{decode_args, Decode};
use ingot_syntax::eval::Evaluator;
use ingot_syntax::Diagnostics;

/// A config block's decoded value. `Default` is what applies when the block is absent.
pub trait ConfigBlock:
    Decode + Default + Clone + PartialEq + fmt::Debug + Send + Sync + 'static
{
    /// The block name: `logging`.
    const NAME: &'static str;
}

/// A decoded block with its type erased.
trait BlockValue: Any + fmt::Debug + Send + Sync {
    fn as_any(&self) -> &dyn Any;
    fn equals(&self, other: &dyn BlockValue) -> bool;
}

impl<B: ConfigBlock> BlockValue for B {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn equals(&self, other: &dyn BlockValue) -> bool {
        other.as_any().downcast_ref::<B>() == Some(self)
    }
}

type DecodeFn = fn(&Block, &mut Evaluator<'_>) -> Result<Arc<dyn BlockValue>, Diagnostics>;

/// One entry of the config-block registry.
#[derive(Clone)]
pub struct ConfigBlockRegistration {
    pub name: &'static str,
    decode: DecodeFn,
    default: fn() -> Arc<dyn BlockValue>,
}

impl ConfigBlockRegistration {
    pub fn of<B: ConfigBlock>() -> ConfigBlockRegistration {
        ConfigBlockRegistration {
            name: B::NAME,
            decode: |block, ev| {
                decode_args::<B>(block, ev).map(|b| Arc::new(b) as Arc<dyn BlockValue>)
            },
            default: || Arc::new(B::default()),
        }
    }
}

/// The config blocks of one configuration, decoded; blocks it lacks hold their defaults.
#[derive(Clone, Default)]
pub struct ConfigBlocks {
    values: BTreeMap<&'static str, Arc<dyn BlockValue>>,
}

impl ConfigBlocks {
    /// Every registered block at its default value.
    pub fn defaults(registrations: &[ConfigBlockRegistration]) -> ConfigBlocks {
        ConfigBlocks {
            values: registrations
                .iter()
                .map(|r| (r.name, (r.default)()))
                .collect(),
        }
    }

    /// Decodes `block` with `registration` and keeps it.
    pub fn decode(
        &mut self,
        registration: &ConfigBlockRegistration,
        block: &Block,
        ev: &mut Evaluator<'_>,
    ) -> Result<(), Diagnostics> {
        let value = (registration.decode)(block, ev)?;
        self.values.insert(registration.name, value);
        Ok(())
    }

    /// The block of type `B`: as configured, else its default.
    pub fn get<B: ConfigBlock>(&self) -> B {
        self.values
            .get(B::NAME)
            .and_then(|v| v.as_any().downcast_ref::<B>())
            .cloned()
            .unwrap_or_default()
    }
}

impl PartialEq for ConfigBlocks {
    fn eq(&self, other: &ConfigBlocks) -> bool {
        self.values.len() == other.values.len()
            && self
                .values
                .iter()
                .all(|(k, v)| other.values.get(k).is_some_and(|o| v.equals(o.as_ref())))
    }
}

impl fmt::Debug for ConfigBlocks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.values.iter()).finish()
    }
}
