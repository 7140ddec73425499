//! Signing in to Azure Resource Manager for `monitor deploy` and `monitor status`, from the
//! operator flags. The deployment itself is `breakglass_ops::monitor::arm`.

use breakglass_entra::ArmClient;
use breakglass_ops::monitor::arm;

use crate::context::CommandHelper;
use crate::error::CommandError;
use crate::session::{AuthMethod, OperatorArgs};

/// Signs in for a Resource Manager token, as the operator signs in for Graph.
pub async fn arm_sign_in(
    helper: &CommandHelper,
    args: &OperatorArgs,
) -> Result<ArmClient, CommandError> {
    let cloud = helper.cloud()?;
    // A token handed in is for Graph; refused before stdin is read.
    if args.auth == AuthMethod::TokenStdin {
        return Err(arm::one_token_is_not_enough().into());
    }
    let operator = helper.operator(args)?;
    Ok(arm::sign_in(helper.ui(), &cloud, &operator, helper.http_options()).await?)
}
