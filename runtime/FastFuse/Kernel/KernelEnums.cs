// Non-flag enumerations of the header: notification codes, extension types, io_uring commands.
namespace FastFuse.Kernel;

/// <summary>enum fuse_notify_code: placed in fuse_out_header.error with unique == 0.</summary>
public enum NotifyCode : int
{
    /// <summary>FUSE_NOTIFY_POLL: wake the pollers of a poll handle.</summary>
    Poll = 1,
    /// <summary>FUSE_NOTIFY_INVAL_INODE: drop a node's cached attributes and data.</summary>
    InvalInode = 2,
    /// <summary>FUSE_NOTIFY_INVAL_ENTRY: drop a cached name.</summary>
    InvalEntry = 3,
    /// <summary>FUSE_NOTIFY_STORE: put data into a node's page cache.</summary>
    Store = 4,
    /// <summary>FUSE_NOTIFY_RETRIEVE: ask for data from a node's page cache (answered by a NOTIFY_REPLY
    /// request).</summary>
    Retrieve = 5,
    /// <summary>FUSE_NOTIFY_DELETE: a name is gone: drop it, and mark its node deleted.</summary>
    Delete = 6,
    /// <summary>FUSE_NOTIFY_RESEND: send every request still waiting for a reply again.</summary>
    Resend = 7,
    /// <summary>FUSE_NOTIFY_INC_EPOCH: every cached entry of the connection becomes stale.</summary>
    IncEpoch = 8,
    /// <summary>Added late in 7.45 (Linux 6.19 header); absent from the 6.18 header.</summary>
    Prune = 9,
}

/// <summary>enum fuse_ext_type: fuse_ext_header.type (0..31 are secctx counts).</summary>
public enum ExtType : uint
{
    /// <summary>FUSE_MAX_NR_SECCTX: the highest type that is a security context header (its count of
    /// contexts).</summary>
    MaxNrSecctx = 31,
    /// <summary>FUSE_EXT_GROUPS: the caller's supplementary groups (<see cref="FuseSuppGroups"/>).</summary>
    Groups = 32,
}

/// <summary>enum fuse_uring_cmd: io_uring SQE command op.</summary>
public enum UringCmd : uint
{
    /// <summary>FUSE_IO_URING_CMD_INVALID: not a command.</summary>
    Invalid = 0,
    /// <summary>FUSE_IO_URING_CMD_REGISTER: register an entry's buffers and fetch a request into them.</summary>
    Register = 1,
    /// <summary>FUSE_IO_URING_CMD_COMMIT_AND_FETCH: commit the reply to an entry's request and fetch the next
    /// one.</summary>
    CommitAndFetch = 2,
}
