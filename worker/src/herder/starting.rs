//! [`StartingHerder`]: the herder the REST API serves while a distributed worker still reads
//! its internal topics. Java serves REST from the start too: its requests queue for the herder
//! thread, which takes them once it has read the topics. Here every call waits until the
//! real herder is set and then goes to it; the REST handlers' own timeout (90 s, Java's
//! request timeout) bounds the wait. `GET /health` answers 503 "starting" meanwhile (it looks
//! at the worker's readiness first), and `GET /` answers at once: the Kafka cluster id is
//! looked up from the worker config, as Java's herder does when it is constructed.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use sluice_api::Props;
use tokio::sync::watch;

use super::{
    ConfigInfos, ConnectorInfo, ConnectorOffsets, ConnectorStateInfo, ConnectorTaskId, Created,
    Herder, HerderResult, Message, RestartRequest, TargetState, TaskInfo, TaskState,
};
use crate::config::WorkerConfig;
use crate::rest::signature::InternalRequestSignature;

/// A herder that is set once the worker has started; calls before that wait for it.
pub struct StartingHerder {
    worker_id: String,
    config: Arc<WorkerConfig>,
    herder: watch::Receiver<Option<Arc<dyn Herder>>>,
}

/// Sets the herder of a [`StartingHerder`].
pub struct HerderSlot(watch::Sender<Option<Arc<dyn Herder>>>);

impl HerderSlot {
    /// Hands every waiting and later call to `herder`.
    pub fn set(&self, herder: Arc<dyn Herder>) {
        self.0.send_replace(Some(herder));
    }
}

impl StartingHerder {
    /// A herder without its target yet, and the slot that sets it.
    pub fn new(worker_id: impl Into<String>, config: Arc<WorkerConfig>) -> (Arc<Self>, HerderSlot) {
        let (tx, rx) = watch::channel(None);
        (
            Arc::new(StartingHerder {
                worker_id: worker_id.into(),
                config,
                herder: rx,
            }),
            HerderSlot(tx),
        )
    }

    /// The herder, once set (never, when the worker failed to start: the caller's timeout
    /// answers then).
    async fn get(&self) -> Arc<dyn Herder> {
        let mut rx = self.herder.clone();
        let herder = match rx.wait_for(Option::is_some).await {
            Ok(set) => set.clone(),
            Err(_) => None,
        };
        match herder {
            Some(h) => h,
            None => std::future::pending().await,
        }
    }
}

#[async_trait]
impl Herder for StartingHerder {
    fn worker_id(&self) -> String {
        self.worker_id.clone()
    }
    async fn kafka_cluster_id(&self) -> String {
        let herder = self.herder.borrow().clone();
        match herder {
            Some(h) => h.kafka_cluster_id().await,
            None => super::sink_offsets::cluster_id(&self.config).await,
        }
    }
    async fn connectors(&self) -> Vec<String> {
        self.get().await.connectors().await
    }
    async fn connector_info(&self, name: &str) -> HerderResult<ConnectorInfo> {
        self.get().await.connector_info(name).await
    }
    async fn connector_config(&self, name: &str) -> HerderResult<Props> {
        self.get().await.connector_config(name).await
    }
    async fn put_connector_config(
        &self,
        name: &str,
        config: Props,
        allow_replace: bool,
        initial_state: Option<TargetState>,
    ) -> HerderResult<Created<ConnectorInfo>> {
        self.get()
            .await
            .put_connector_config(name, config, allow_replace, initial_state)
            .await
    }
    async fn restore_connector(
        &self,
        name: &str,
        config: Props,
        initial_state: Option<TargetState>,
    ) -> HerderResult<ConnectorInfo> {
        self.get()
            .await
            .restore_connector(name, config, initial_state)
            .await
    }
    async fn patch_connector_config(
        &self,
        name: &str,
        patch: BTreeMap<String, Option<String>>,
    ) -> HerderResult<ConnectorInfo> {
        self.get().await.patch_connector_config(name, patch).await
    }
    async fn delete_connector(&self, name: &str) -> HerderResult<()> {
        self.get().await.delete_connector(name).await
    }
    async fn connector_status(&self, name: &str) -> HerderResult<ConnectorStateInfo> {
        self.get().await.connector_status(name).await
    }
    async fn connector_statuses(
        &self,
        names: &[String],
    ) -> HerderResult<Vec<Option<ConnectorStateInfo>>> {
        self.get().await.connector_statuses(names).await
    }
    async fn task_status(&self, id: &ConnectorTaskId) -> HerderResult<TaskState> {
        self.get().await.task_status(id).await
    }
    async fn task_configs(&self, name: &str) -> HerderResult<Vec<TaskInfo>> {
        self.get().await.task_configs(name).await
    }
    async fn restart_connector(
        &self,
        name: &str,
        request: RestartRequest,
    ) -> HerderResult<Option<ConnectorStateInfo>> {
        self.get().await.restart_connector(name, request).await
    }
    async fn restart_task(&self, id: &ConnectorTaskId) -> HerderResult<()> {
        self.get().await.restart_task(id).await
    }
    async fn pause_connector(&self, name: &str) -> HerderResult<()> {
        self.get().await.pause_connector(name).await
    }
    async fn resume_connector(&self, name: &str) -> HerderResult<()> {
        self.get().await.resume_connector(name).await
    }
    async fn stop_connector(&self, name: &str) -> HerderResult<()> {
        self.get().await.stop_connector(name).await
    }
    async fn active_topics(&self, name: &str) -> HerderResult<Vec<String>> {
        self.get().await.active_topics(name).await
    }
    async fn reset_active_topics(&self, name: &str) -> HerderResult<()> {
        self.get().await.reset_active_topics(name).await
    }
    async fn connector_offsets(&self, name: &str) -> HerderResult<ConnectorOffsets> {
        self.get().await.connector_offsets(name).await
    }
    async fn alter_connector_offsets(
        &self,
        name: &str,
        offsets: ConnectorOffsets,
    ) -> HerderResult<Message> {
        self.get()
            .await
            .alter_connector_offsets(name, offsets)
            .await
    }
    async fn reset_connector_offsets(&self, name: &str) -> HerderResult<Message> {
        self.get().await.reset_connector_offsets(name).await
    }
    async fn validate_connector_config(&self, config: Props) -> HerderResult<ConfigInfos> {
        self.get().await.validate_connector_config(config).await
    }
    async fn put_task_configs(
        &self,
        name: &str,
        configs: Vec<Props>,
        signature: Option<InternalRequestSignature>,
    ) -> HerderResult<()> {
        self.get()
            .await
            .put_task_configs(name, configs, signature)
            .await
    }
    async fn fence_zombie_source_tasks(
        &self,
        name: &str,
        signature: Option<InternalRequestSignature>,
    ) -> HerderResult<()> {
        self.get()
            .await
            .fence_zombie_source_tasks(name, signature)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::test_harness;
    use crate::storage::MemoryOffsetBackingStore;
    use std::time::Duration;

    #[tokio::test]
    async fn calls_wait_for_the_herder_and_then_go_to_it() {
        let standalone = test_harness::herder(
            "127.0.0.1:1",
            &[
                (
                    "key.converter",
                    "org.apache.kafka.connect.storage.StringConverter",
                ),
                (
                    "value.converter",
                    "org.apache.kafka.connect.storage.StringConverter",
                ),
            ],
            test_harness::registry(Vec::new()),
            Arc::new(MemoryOffsetBackingStore::new()),
        );
        let config = standalone.worker().config().clone();
        let (starting, slot) = StartingHerder::new("w1:8083", config);
        assert_eq!(starting.worker_id(), "w1:8083");
        let early = tokio::spawn({
            let starting = starting.clone();
            async move { starting.connectors().await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!early.is_finished(), "answered before the herder was set");
        let herder: Arc<dyn Herder> = standalone;
        slot.set(herder);
        let answered = tokio::time::timeout(Duration::from_secs(5), early).await;
        assert!(
            matches!(&answered, Ok(Ok(list)) if list.is_empty()),
            "{answered:?}"
        );
        assert_eq!(starting.connectors().await, Vec::<String>::new());
    }
}
