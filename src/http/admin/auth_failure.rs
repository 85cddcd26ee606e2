//! [`AuthFailure`]: why an admin request was refused, the reason the authentication layer logs
//! and the `reason` label the admin metrics count.

use crate::label::label_values;

label_values! {
    /// Why an admin request was refused: the `reason` label of
    /// `proxy911_admin_auth_failures_total`.
    pub enum AuthFailure {
        /// No `Authorization` header.
        Missing => "missing",
        /// An `Authorization` header that is not `Bearer <token>`.
        Malformed => "malformed",
        /// A bearer token that is not the admin token.
        Wrong => "wrong",
        /// A target's own token (`admin_token_file`), used for another target or for the
        /// exporter's own account: 403.
        OtherTarget => "other_target",
    }
}
