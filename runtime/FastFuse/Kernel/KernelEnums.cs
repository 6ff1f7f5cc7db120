// Non-flag enumerations of the header: notification codes, extension types, io_uring commands.
namespace FastFuse.Kernel;

/// <summary>enum fuse_notify_code: placed in fuse_out_header.error with unique == 0.</summary>
public enum NotifyCode : int
{
    Poll = 1,
    InvalInode = 2,
    InvalEntry = 3,
    Store = 4,
    Retrieve = 5,
    Delete = 6,
    Resend = 7,
    IncEpoch = 8,
    /// <summary>Added late in 7.45 (Linux 6.19 header); absent from the 6.18 header.</summary>
    Prune = 9,
}

/// <summary>enum fuse_ext_type: fuse_ext_header.type (0..31 are secctx counts).</summary>
public enum ExtType : uint
{
    MaxNrSecctx = 31,
    Groups = 32,
}

/// <summary>enum fuse_uring_cmd: io_uring SQE command op.</summary>
public enum UringCmd : uint
{
    Invalid = 0,
    Register = 1,
    CommitAndFetch = 2,
}
