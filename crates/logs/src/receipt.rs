//! A sender's receipt for entries handed to receivers: it completes when every receiver that took them has
//! stored them where they survive the process (`loki.write`: written to its WAL), or at once when the
//! receivers keep them in memory. `loki.source.api` answers its client only then, so that a client told
//! "204" never loses the lines to a SIGKILL that follows.
//!
//! The sender keeps the [`Receipt`]; receivers get a [`Token`] with the entries and keep a clone of it until
//! the entries are stored. The receipt completes when the last clone is dropped.

use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

/// What a receiver holds while it stores entries; dropping the last clone completes the [`Receipt`].
#[derive(Clone)]
pub struct Token {
    _done: Arc<oneshot::Sender<()>>,
    failed: Arc<Mutex<Option<String>>>,
    /// The tokens this one stands for ([`Token::combine`]): held until its last clone is dropped.
    parents: Option<Arc<[Token]>>,
}

impl Token {
    /// The entries could not be stored (the reason reaches the sender); the receipt still completes when
    /// the last clone is dropped.
    pub fn fail(&self, reason: impl Into<String>) {
        let reason = reason.into();
        if let Some(parents) = &self.parents {
            for p in parents.iter() {
                p.fail(reason.clone());
            }
        }
        let mut f = self.failed.lock().unwrap_or_else(|e| e.into_inner());
        f.get_or_insert(reason);
    }

    /// One token standing for several: what a component that merges entries of several senders into one
    /// batch hands on. The senders' receipts complete when every clone of the combined token is gone, and
    /// a failure reported on it reaches each of them.
    pub fn combine(tokens: Vec<Token>) -> Token {
        let (_, t) = receipt();
        Token {
            parents: Some(tokens.into()),
            ..t
        }
    }

    /// One token for an entry made of several senders' entries (a multiline record joining lines of
    /// several batches): each token once, `None` for none, the token itself for one, else
    /// [`Token::combine`].
    pub fn join(tokens: Vec<Token>) -> Option<Token> {
        let mut unique: Vec<Token> = Vec::with_capacity(tokens.len());
        for t in tokens {
            if !unique.iter().any(|u| u.same_as(&t)) {
                unique.push(t);
            }
        }
        match unique.len() {
            0 => None,
            1 => unique.pop(),
            _ => Some(Token::combine(unique)),
        }
    }

    /// Whether both are clones of one token.
    pub fn same_as(&self, other: &Token) -> bool {
        Arc::ptr_eq(&self._done, &other._done)
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token")
    }
}

/// The sender's side.
pub struct Receipt {
    done: oneshot::Receiver<()>,
    failed: Arc<Mutex<Option<String>>>,
}

/// A receipt and the token to hand to receivers with the entries.
pub fn receipt() -> (Receipt, Token) {
    let (tx, rx) = oneshot::channel();
    let failed = Arc::new(Mutex::new(None));
    (
        Receipt {
            done: rx,
            failed: failed.clone(),
        },
        Token {
            _done: Arc::new(tx),
            failed,
            parents: None,
        },
    )
}

impl Receipt {
    /// Waits until every clone of the token is gone: `Err` with the first failure a receiver reported.
    pub async fn stored(mut self) -> Result<(), String> {
        // The sender is never used to send: the channel closes when the last token is dropped.
        let _ = (&mut self.done).await;
        self.result()
    }

    /// Whether the receipt has completed, without waiting.
    pub fn try_stored(&mut self) -> Option<Result<(), String>> {
        match self.done.try_recv() {
            Err(oneshot::error::TryRecvError::Empty) => None,
            _ => Some(self.result()),
        }
    }

    fn result(&self) -> Result<(), String> {
        match self.failed.lock().unwrap_or_else(|e| e.into_inner()).take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completes_when_the_last_token_is_dropped() {
        let (mut r, t) = receipt();
        let held = t.clone();
        drop(t);
        assert_eq!(r.try_stored(), None);
        held.fail("disk full");
        drop(held);
        assert_eq!(r.try_stored(), Some(Err("disk full".into())));
        let (mut r, t) = receipt();
        drop(t);
        assert_eq!(r.try_stored(), Some(Ok(())));
    }

    #[test]
    fn a_combined_token_holds_and_fails_its_parts() {
        let (mut a, ta) = receipt();
        let (mut b, tb) = receipt();
        let both = Token::combine(vec![ta, tb]);
        let held = both.clone();
        drop(both);
        assert_eq!((a.try_stored(), b.try_stored()), (None, None));
        held.fail("queue full");
        drop(held);
        assert_eq!(a.try_stored(), Some(Err("queue full".into())));
        assert_eq!(b.try_stored(), Some(Err("queue full".into())));
    }

    #[test]
    fn a_joined_token_holds_every_receipt_until_it_is_dropped() {
        let (mut r1, t1) = receipt();
        let (mut r2, t2) = receipt();
        let joined = Token::join(vec![t1.clone(), t2.clone(), t1.clone()]).unwrap();
        drop((t1, t2));
        assert_eq!(r1.try_stored(), None);
        assert_eq!(r2.try_stored(), None);
        joined.fail("disk full");
        drop(joined);
        assert_eq!(r1.try_stored(), Some(Err("disk full".into())));
        assert_eq!(r2.try_stored(), Some(Err("disk full".into())));
        assert!(Token::join(Vec::new()).is_none());
    }
}
