namespace BackupAgent.Core.Errors;

/// <summary>The helper image is not on the engine and could not be pulled.</summary>
public sealed class HelperImageMissingException(string image, string endpoint, string reason)
    : BackupAgentException(
        $"the helper image '{image}' is not on the engine at {endpoint} and could not be pulled ({reason}). Build it locally with: install/helper-image {image}");
