//! Finishing: the hub consumes a result once, cancels a request, or asks where one stands;
//! the citizen goes back from the country page.

use super::acs::return_location;
use super::record::RequestStatus;
use super::types::{Cancelled, Consumed, RequestStatusBody};
use super::{is_handle, new_handle, Flow, FlowError};
use crate::saml::status::FailureCode;
use crate::store::Kind;

impl Flow {
    /// `POST /api/v1/authn-responses/{response_handle}/consume`: single use; the personal data
    /// leaves the store with it.
    pub async fn consume(&self, handle: &str) -> Result<Consumed, FlowError> {
        if !is_handle(handle) {
            return Err(FlowError::ResponseHandleNotFound);
        }
        let bytes = self.store.take(Kind::ResponseHandle, handle).await?.ok_or(FlowError::ResponseHandleNotFound)?;
        let body: Consumed =
            serde_json::from_slice(&bytes).map_err(|_| FlowError::Technical("unreadable outcome".into()))?;
        // The result has left the store for good (single use): from here on the hub must get it,
        // whatever happens to the request's status, which only serves support.
        if let Err(e) = self.mark_consumed(&body.request_id).await {
            if let FlowError::Store(s) = &e {
                self.metrics.store_error(s.code());
            }
            tracing::warn!(code = e.code(), cause = %e, request_id = %body.request_id, "request status not updated");
        }
        tracing::info!(target: "audit", event = "response_consumed", request_id = %body.request_id, status = %body.status);
        Ok(body)
    }

    /// Marks a request consumed (a request already forgotten stays forgotten).
    async fn mark_consumed(&self, request_id: &str) -> Result<(), FlowError> {
        if let Some(mut record) = self.load_record(request_id).await? {
            record.status = RequestStatus::Consumed;
            self.save_record(&record).await?;
        }
        Ok(())
    }

    /// `POST /api/v1/authn-requests/{request_id}/cancel`: the citizen went back at the hub.
    pub async fn cancel(&self, request_id: &str) -> Result<Cancelled, FlowError> {
        if !is_handle(request_id) {
            return Err(FlowError::RequestNotFound);
        }
        let mut record = self.load_record(request_id).await?.ok_or(FlowError::RequestNotFound)?;
        match record.status_at(self.now()) {
            RequestStatus::Pending => {}
            RequestStatus::Cancelled => {
                return Ok(Cancelled { request_id: record.request_id, status: RequestStatus::Cancelled })
            }
            other => return Err(FlowError::NotPending(other)),
        }
        self.store.delete(Kind::StartHandle, &record.start_handle).await?;
        if let Some(id) = &record.saml_request_id {
            self.store.delete(Kind::SamlRequest, id).await?;
        }
        record.status = RequestStatus::Cancelled;
        record.outcome = Some(FailureCode::UserCancelled.code().to_owned());
        self.save_record(&record).await?;
        tracing::info!(target: "audit", event = "request_cancelled", request_id = %record.request_id);
        Ok(Cancelled { request_id: record.request_id, status: RequestStatus::Cancelled })
    }

    /// `GET /api/v1/authn-requests/{request_id}`.
    pub async fn status(&self, request_id: &str) -> Result<RequestStatusBody, FlowError> {
        if !is_handle(request_id) {
            return Err(FlowError::RequestNotFound);
        }
        let record = self.load_record(request_id).await?.ok_or(FlowError::RequestNotFound)?;
        Ok(RequestStatusBody {
            status: record.status_at(self.now()),
            citizen_country: record.citizen_country.map(|c| c.to_string()),
            level_of_assurance: record.level_of_assurance.to_string(),
            created_at: record.created_at,
            expires_at: record.expires_at,
            outcome: record.outcome,
            correlation_id: record.correlation_id,
            request_id: record.request_id,
        })
    }

    /// "Back" on the country page: the request ends as `user_cancelled` and the browser returns
    /// to the hub with a failure handle. Returns the 303 location.
    pub async fn back_to_hub(&self, start_handle: &str) -> Result<String, FlowError> {
        if !is_handle(start_handle) {
            return Err(FlowError::StartHandleNotFound);
        }
        let request_id =
            self.store.take(Kind::StartHandle, start_handle).await?.ok_or(FlowError::StartHandleNotFound)?;
        let request_id = String::from_utf8(request_id).map_err(|_| FlowError::StartHandleNotFound)?;
        let mut record = self.load_record(&request_id).await?.ok_or(FlowError::StartHandleNotFound)?;
        if record.status_at(self.now()) != RequestStatus::Pending {
            return Err(FlowError::NotPending(record.status_at(self.now())));
        }
        let code = FailureCode::UserCancelled;
        let body =
            Consumed::failure(record.request_id.clone(), record.citizen_country.map(|c| c.to_string()), code, None);
        let handle = new_handle()?;
        let bytes = serde_json::to_vec(&body).map_err(|_| FlowError::Technical("outcome".into()))?;
        self.store.put(Kind::ResponseHandle, &handle, &bytes, Self::ttl(self.ttls.response)).await?;
        record.status = RequestStatus::Completed;
        record.outcome = Some(code.code().to_owned());
        self.save_record(&record).await?;
        self.metrics.outcome(record.citizen_country, code.code());
        tracing::info!(target: "audit", event = "request_cancelled", request_id = %record.request_id, by = "citizen");
        Ok(return_location(&record, &handle))
    }
}
