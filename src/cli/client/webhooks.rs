//! The typed client's calls about webhooks and their deliveries.

use super::*;
use crate::api::RotateWebhookSecret;

impl ApiClient {
    /// A new webhook, with its signing secret (which the server never shows again).
    pub fn create_webhook(
        &self,
        org: &str,
        body: &CreateWebhook,
    ) -> ClientResult<WebhookWithSecret> {
        self.post(&format!("v1/orgs/{}/webhooks", seg(org)), body)
    }

    pub fn list_webhooks(&self, org: &str) -> ClientResult<Vec<Webhook>> {
        self.get(&format!("v1/orgs/{}/webhooks", seg(org)), &())
    }

    pub fn get_webhook(&self, org: &str, id: &str) -> ClientResult<Webhook> {
        self.get(&webhook_path(org, id, ""), &())
    }

    pub fn delete_webhook(&self, org: &str, id: &str) -> ClientResult<Webhook> {
        let (builder, url) = self.request(Method::DELETE, &webhook_path(org, id, ""))?;
        let response = self.send(builder, &url)?;
        self.decode(response, &url)
    }

    pub fn rotate_webhook_secret(
        &self,
        org: &str,
        id: &str,
        body: &RotateWebhookSecret,
    ) -> ClientResult<WebhookWithSecret> {
        self.post(&webhook_path(org, id, "/rotate-secret"), body)
    }

    pub fn test_webhook(&self, org: &str, id: &str) -> ClientResult<Delivery> {
        self.post(&webhook_path(org, id, "/test"), &serde_json::json!({}))
    }

    pub fn list_deliveries(
        &self,
        org: &str,
        id: &str,
        status: Option<DeliveryStatus>,
        max: Option<usize>,
    ) -> ClientResult<Listing<Delivery>> {
        let query: Vec<(&str, String)> = status
            .map(|status| ("status", status.to_string()))
            .into_iter()
            .collect();
        self.list_all(&webhook_path(org, id, "/deliveries"), &query, max)
    }

    pub fn redeliver(&self, org: &str, id: &str, delivery: &str) -> ClientResult<Delivery> {
        let rest = format!("/deliveries/{}/redeliver", seg(delivery));
        self.post(&webhook_path(org, id, &rest), &serde_json::json!({}))
    }
}
