//! The internal API's contract: authentication, validation, problem+json codes.

use super::*;
