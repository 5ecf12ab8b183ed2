//! Finding the public key of a signed request: local actors from the store, the instance
//! actor's from memory, remote actors by fetching their actor document with a GET signed by the
//! instance actor (never on a private or loopback address outside development).

use crate::pod::Pods;
use futures::future::BoxFuture;
use kommon_activitypub::inbox::{ActorKey, ActorKeys};
use kommon_activitypub::remote::RemoteActors;
use kommon_solid::auth::{AuthError, PublicKey, PublicKeyResolver};

/// Resolves `keyId`s for the HTTP signature verifiers (every route's, and the inbox's).
pub struct KeyResolver {
    pods: Pods,
    actors: RemoteActors,
    /// The instance actor's id and public key.
    instance: Option<(String, String)>,
}

impl KeyResolver {
    /// A resolver for the pods of this server, fetching remote actors with `actors`.
    pub fn new(pods: Pods, actors: RemoteActors, instance: Option<(String, String)>) -> Self {
        Self {
            pods,
            actors,
            instance,
        }
    }

    /// `Some` when the key is local (found or not), `None` when it is another server's.
    async fn local(&self, key_id: &str) -> Result<Option<Option<ActorKey>>, String> {
        let actor = key_id.split('#').next().unwrap_or_default();
        if let Some((id, pem)) = &self.instance
            && id == actor
        {
            return Ok(Some(Some(ActorKey {
                owner: id.clone(),
                pem: pem.clone(),
            })));
        }
        let Some((name, tail)) = self.pods.layout.split(actor) else {
            return Ok(None);
        };
        if !tail.is_empty() {
            return Ok(Some(None));
        }
        let name = name.to_owned();
        let pods = self.pods.clone();
        let actor = actor.to_owned();
        let found = tokio::task::spawn_blocking(move || {
            if !pods.accounts.exists(&name).unwrap_or(false) {
                return None;
            }
            pods.actor_key(&name).ok().map(|k| ActorKey {
                owner: actor,
                pem: k.public_pem,
            })
        })
        .await
        .map_err(|e| format!("key lookup failed: {e}"))?;
        Ok(Some(found))
    }

    async fn find(&self, key_id: &str, refresh: bool) -> Result<Option<ActorKey>, String> {
        if let Some(local) = self.local(key_id).await? {
            return Ok(local);
        }
        self.actors.key(key_id, refresh).await
    }
}

impl ActorKeys for KeyResolver {
    fn actor_key<'a>(
        &'a self,
        key_id: &'a str,
        refresh: bool,
    ) -> BoxFuture<'a, Result<Option<ActorKey>, String>> {
        Box::pin(self.find(key_id, refresh))
    }
}

impl PublicKeyResolver for KeyResolver {
    fn public_key<'a>(
        &'a self,
        key_id: &'a str,
        refresh: bool,
    ) -> BoxFuture<'a, Result<Option<PublicKey>, AuthError>> {
        Box::pin(async move {
            self.find(key_id, refresh)
                .await
                .map(|k| {
                    k.map(|k| PublicKey {
                        owner: k.owner,
                        pem: k.pem,
                    })
                })
                .map_err(AuthError::new)
        })
    }
}
