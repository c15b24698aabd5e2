//! One pull per key at a time: callers asking for the same manifest or layer while it is being
//! pulled wait for that pull instead of starting their own.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use super::error::Error;

/// What a pull came to, shared by everyone who waited for it.
pub(crate) type Shared<T> = Result<T, Arc<Error>>;

/// Where the callers of one pull wait: `None` until it ends.
type PullWatch<T> = watch::Receiver<Option<Shared<T>>>;

/// Pulls in progress, by key.
pub(crate) struct Flights<T> {
    running: Arc<Mutex<HashMap<String, PullWatch<T>>>>,
}

impl<T> Default for Flights<T> {
    fn default() -> Flights<T> {
        Flights {
            running: Arc::new(Mutex::new(HashMap::new())),
        }
    }
}

impl<T: Clone + Send + Sync + 'static> Flights<T> {
    /// The outcome of the pull for `key`: joins the one in progress, or starts `pull` as a task
    /// of its own. The task runs to its end even when every caller stops waiting (a client that
    /// went away), so the next caller finds its outcome instead of starting over.
    pub(crate) async fn join<F>(&self, key: &str, pull: impl FnOnce() -> F) -> Shared<T>
    where
        F: Future<Output = Result<T, Error>> + Send + 'static,
    {
        let mut receiver = {
            let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
            match running.get(key) {
                Some(receiver) => receiver.clone(),
                None => {
                    let (sender, receiver) = watch::channel(None);
                    running.insert(key.to_owned(), receiver.clone());
                    let (running, key, pull) = (self.running.clone(), key.to_owned(), pull());
                    tokio::spawn(async move {
                        let outcome = pull.await.map_err(Arc::new);
                        // Sent before the key is dropped, so a caller in between still finds it.
                        sender.send_replace(Some(outcome));
                        running
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .remove(&key);
                    });
                    receiver
                }
            }
        };
        match receiver.wait_for(Option::is_some).await {
            Ok(outcome) => outcome
                .clone()
                .expect("wait_for returned once the outcome was set"),
            Err(_) => Err(Arc::new(Error::Client {
                cause: "a pull stopped without an outcome".into(),
            })),
        }
    }
}
