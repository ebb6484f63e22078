//! Several instances on one Redis, Redis failures, metadata failures and key rollover.

use super::*;
