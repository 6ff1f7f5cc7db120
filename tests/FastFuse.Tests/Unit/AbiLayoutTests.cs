// ABI checks for FastFuse.Kernel: struct layouts and constants versus <linux/fuse.h> (compiled with gcc)
// and versus a reference table of the protocol 7.45 layouts (Linux 6.18 header) for what the system header lacks.
using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using FastFuse.Kernel;
using Xunit.Abstractions;

namespace FastFuse.Tests.Unit;

public class AbiLayoutTests
{
    private readonly ITestOutputHelper _output;

    public AbiLayoutTests(ITestOutputHelper output) => _output = output;

    // ---- reference data (protocol 7.45) ----------------------------------------------------

    /// <param name="Kind">u8/u16/u32/u64/i32/i64 for scalars, "agg" for arrays and nested structs.</param>
    /// <param name="Since">Minor version from which the field has this exact form (0 = old enough for any header we test against).</param>
    public sealed record FieldSpec(string CName, int Offset, int Size, string Kind, int Since = 0);

    public sealed record StructSpec(string CName, int Size, int Since, FieldSpec[] Fields);

    private static FieldSpec F(string name, int offset, int size, string kind, int since = 0) => new(name, offset, size, kind, since);

    // Since = 46 marks items that carry protocol number 7.45 but only appeared in the Linux 6.19 header.
    // Since = 39 on fuse_supp_groups / FUSE_EXT_GROUPS / FUSE_CREATE_SUPP_GROUP: the changelog files them under 7.38,
    // but Linux 6.1's 7.38 header (Debian 12) predates them.
    public static readonly StructSpec[] Reference =
    [
        new("fuse_attr", 88, 0, [F("ino", 0, 8, "u64"), F("size", 8, 8, "u64"), F("blocks", 16, 8, "u64"), F("atime", 24, 8, "u64"), F("mtime", 32, 8, "u64"), F("ctime", 40, 8, "u64"), F("atimensec", 48, 4, "u32"), F("mtimensec", 52, 4, "u32"), F("ctimensec", 56, 4, "u32"), F("mode", 60, 4, "u32"), F("nlink", 64, 4, "u32"), F("uid", 68, 4, "u32"), F("gid", 72, 4, "u32"), F("rdev", 76, 4, "u32"), F("blksize", 80, 4, "u32"), F("flags", 84, 4, "u32")]),
        new("fuse_sx_time", 16, 39, [F("tv_sec", 0, 8, "i64"), F("tv_nsec", 8, 4, "u32"), F("__reserved", 12, 4, "i32")]),
        new("fuse_statx", 256, 39, [F("mask", 0, 4, "u32"), F("blksize", 4, 4, "u32"), F("attributes", 8, 8, "u64"), F("nlink", 16, 4, "u32"), F("uid", 20, 4, "u32"), F("gid", 24, 4, "u32"), F("mode", 28, 2, "u16"), F("__spare0", 30, 2, "agg"), F("ino", 32, 8, "u64"), F("size", 40, 8, "u64"), F("blocks", 48, 8, "u64"), F("attributes_mask", 56, 8, "u64"), F("atime", 64, 16, "agg"), F("btime", 80, 16, "agg"), F("ctime", 96, 16, "agg"), F("mtime", 112, 16, "agg"), F("rdev_major", 128, 4, "u32"), F("rdev_minor", 132, 4, "u32"), F("dev_major", 136, 4, "u32"), F("dev_minor", 140, 4, "u32"), F("__spare2", 144, 112, "agg")]),
        new("fuse_kstatfs", 80, 0, [F("blocks", 0, 8, "u64"), F("bfree", 8, 8, "u64"), F("bavail", 16, 8, "u64"), F("files", 24, 8, "u64"), F("ffree", 32, 8, "u64"), F("bsize", 40, 4, "u32"), F("namelen", 44, 4, "u32"), F("frsize", 48, 4, "u32"), F("padding", 52, 4, "u32"), F("spare", 56, 24, "agg")]),
        new("fuse_file_lock", 24, 0, [F("start", 0, 8, "u64"), F("end", 8, 8, "u64"), F("type", 16, 4, "u32"), F("pid", 20, 4, "u32")]),
        new("fuse_entry_out", 128, 0, [F("nodeid", 0, 8, "u64"), F("generation", 8, 8, "u64"), F("entry_valid", 16, 8, "u64"), F("attr_valid", 24, 8, "u64"), F("entry_valid_nsec", 32, 4, "u32"), F("attr_valid_nsec", 36, 4, "u32"), F("attr", 40, 88, "agg")]),
        new("fuse_forget_in", 8, 0, [F("nlookup", 0, 8, "u64")]),
        new("fuse_forget_one", 16, 0, [F("nodeid", 0, 8, "u64"), F("nlookup", 8, 8, "u64")]),
        new("fuse_batch_forget_in", 8, 0, [F("count", 0, 4, "u32"), F("dummy", 4, 4, "u32")]),
        new("fuse_getattr_in", 16, 0, [F("getattr_flags", 0, 4, "u32"), F("dummy", 4, 4, "u32"), F("fh", 8, 8, "u64")]),
        new("fuse_attr_out", 104, 0, [F("attr_valid", 0, 8, "u64"), F("attr_valid_nsec", 8, 4, "u32"), F("dummy", 12, 4, "u32"), F("attr", 16, 88, "agg")]),
        new("fuse_statx_in", 24, 39, [F("getattr_flags", 0, 4, "u32"), F("reserved", 4, 4, "u32"), F("fh", 8, 8, "u64"), F("sx_flags", 16, 4, "u32"), F("sx_mask", 20, 4, "u32")]),
        new("fuse_statx_out", 288, 39, [F("attr_valid", 0, 8, "u64"), F("attr_valid_nsec", 8, 4, "u32"), F("flags", 12, 4, "u32"), F("spare", 16, 16, "agg"), F("stat", 32, 256, "agg")]),
        new("fuse_mknod_in", 16, 0, [F("mode", 0, 4, "u32"), F("rdev", 4, 4, "u32"), F("umask", 8, 4, "u32"), F("padding", 12, 4, "u32")]),
        new("fuse_mkdir_in", 8, 0, [F("mode", 0, 4, "u32"), F("umask", 4, 4, "u32")]),
        new("fuse_rename_in", 8, 0, [F("newdir", 0, 8, "u64")]),
        new("fuse_rename2_in", 16, 0, [F("newdir", 0, 8, "u64"), F("flags", 8, 4, "u32"), F("padding", 12, 4, "u32")]),
        new("fuse_link_in", 8, 0, [F("oldnodeid", 0, 8, "u64")]),
        new("fuse_setattr_in", 88, 0, [F("valid", 0, 4, "u32"), F("padding", 4, 4, "u32"), F("fh", 8, 8, "u64"), F("size", 16, 8, "u64"), F("lock_owner", 24, 8, "u64"), F("atime", 32, 8, "u64"), F("mtime", 40, 8, "u64"), F("ctime", 48, 8, "u64"), F("atimensec", 56, 4, "u32"), F("mtimensec", 60, 4, "u32"), F("ctimensec", 64, 4, "u32"), F("mode", 68, 4, "u32"), F("unused4", 72, 4, "u32"), F("uid", 76, 4, "u32"), F("gid", 80, 4, "u32"), F("unused5", 84, 4, "u32")]),
        new("fuse_open_in", 8, 0, [F("flags", 0, 4, "u32"), F("open_flags", 4, 4, "u32")]),
        new("fuse_create_in", 16, 0, [F("flags", 0, 4, "u32"), F("mode", 4, 4, "u32"), F("umask", 8, 4, "u32"), F("open_flags", 12, 4, "u32")]),
        new("fuse_open_out", 16, 0, [F("fh", 0, 8, "u64"), F("open_flags", 8, 4, "u32"), F("backing_id", 12, 4, "i32", 40)]),
        new("fuse_release_in", 24, 0, [F("fh", 0, 8, "u64"), F("flags", 8, 4, "u32"), F("release_flags", 12, 4, "u32"), F("lock_owner", 16, 8, "u64")]),
        new("fuse_flush_in", 24, 0, [F("fh", 0, 8, "u64"), F("unused", 8, 4, "u32"), F("padding", 12, 4, "u32"), F("lock_owner", 16, 8, "u64")]),
        new("fuse_read_in", 40, 0, [F("fh", 0, 8, "u64"), F("offset", 8, 8, "u64"), F("size", 16, 4, "u32"), F("read_flags", 20, 4, "u32"), F("lock_owner", 24, 8, "u64"), F("flags", 32, 4, "u32"), F("padding", 36, 4, "u32")]),
        new("fuse_write_in", 40, 0, [F("fh", 0, 8, "u64"), F("offset", 8, 8, "u64"), F("size", 16, 4, "u32"), F("write_flags", 20, 4, "u32"), F("lock_owner", 24, 8, "u64"), F("flags", 32, 4, "u32"), F("padding", 36, 4, "u32")]),
        new("fuse_write_out", 8, 0, [F("size", 0, 4, "u32"), F("padding", 4, 4, "u32")]),
        new("fuse_statfs_out", 80, 0, [F("st", 0, 80, "agg")]),
        new("fuse_fsync_in", 16, 0, [F("fh", 0, 8, "u64"), F("fsync_flags", 8, 4, "u32"), F("padding", 12, 4, "u32")]),
        new("fuse_setxattr_in", 16, 0, [F("size", 0, 4, "u32"), F("flags", 4, 4, "u32"), F("setxattr_flags", 8, 4, "u32"), F("padding", 12, 4, "u32")]),
        new("fuse_getxattr_in", 8, 0, [F("size", 0, 4, "u32"), F("padding", 4, 4, "u32")]),
        new("fuse_getxattr_out", 8, 0, [F("size", 0, 4, "u32"), F("padding", 4, 4, "u32")]),
        new("fuse_lk_in", 48, 0, [F("fh", 0, 8, "u64"), F("owner", 8, 8, "u64"), F("lk", 16, 24, "agg"), F("lk_flags", 40, 4, "u32"), F("padding", 44, 4, "u32")]),
        new("fuse_lk_out", 24, 0, [F("lk", 0, 24, "agg")]),
        new("fuse_access_in", 8, 0, [F("mask", 0, 4, "u32"), F("padding", 4, 4, "u32")]),
        new("fuse_init_in", 64, 0, [F("major", 0, 4, "u32"), F("minor", 4, 4, "u32"), F("max_readahead", 8, 4, "u32"), F("flags", 12, 4, "u32"), F("flags2", 16, 4, "u32"), F("unused", 20, 44, "agg")]),
        new("fuse_init_out", 64, 0, [F("major", 0, 4, "u32"), F("minor", 4, 4, "u32"), F("max_readahead", 8, 4, "u32"), F("flags", 12, 4, "u32"), F("max_background", 16, 2, "u16"), F("congestion_threshold", 18, 2, "u16"), F("max_write", 20, 4, "u32"), F("time_gran", 24, 4, "u32"), F("max_pages", 28, 2, "u16"), F("map_alignment", 30, 2, "u16"), F("flags2", 32, 4, "u32"), F("max_stack_depth", 36, 4, "u32", 40), F("request_timeout", 40, 2, "u16", 43), F("unused", 42, 22, "agg", 43)]),
        new("cuse_init_in", 16, 0, [F("major", 0, 4, "u32"), F("minor", 4, 4, "u32"), F("unused", 8, 4, "u32"), F("flags", 12, 4, "u32")]),
        new("cuse_init_out", 72, 0, [F("major", 0, 4, "u32"), F("minor", 4, 4, "u32"), F("unused", 8, 4, "u32"), F("flags", 12, 4, "u32"), F("max_read", 16, 4, "u32"), F("max_write", 20, 4, "u32"), F("dev_major", 24, 4, "u32"), F("dev_minor", 28, 4, "u32"), F("spare", 32, 40, "agg")]),
        new("fuse_interrupt_in", 8, 0, [F("unique", 0, 8, "u64")]),
        new("fuse_bmap_in", 16, 0, [F("block", 0, 8, "u64"), F("blocksize", 8, 4, "u32"), F("padding", 12, 4, "u32")]),
        new("fuse_bmap_out", 8, 0, [F("block", 0, 8, "u64")]),
        new("fuse_ioctl_in", 32, 0, [F("fh", 0, 8, "u64"), F("flags", 8, 4, "u32"), F("cmd", 12, 4, "u32"), F("arg", 16, 8, "u64"), F("in_size", 24, 4, "u32"), F("out_size", 28, 4, "u32")]),
        new("fuse_ioctl_iovec", 16, 0, [F("base", 0, 8, "u64"), F("len", 8, 8, "u64")]),
        new("fuse_ioctl_out", 16, 0, [F("result", 0, 4, "i32"), F("flags", 4, 4, "u32"), F("in_iovs", 8, 4, "u32"), F("out_iovs", 12, 4, "u32")]),
        new("fuse_poll_in", 24, 0, [F("fh", 0, 8, "u64"), F("kh", 8, 8, "u64"), F("flags", 16, 4, "u32"), F("events", 20, 4, "u32")]),
        new("fuse_poll_out", 8, 0, [F("revents", 0, 4, "u32"), F("padding", 4, 4, "u32")]),
        new("fuse_notify_poll_wakeup_out", 8, 0, [F("kh", 0, 8, "u64")]),
        new("fuse_fallocate_in", 32, 0, [F("fh", 0, 8, "u64"), F("offset", 8, 8, "u64"), F("length", 16, 8, "u64"), F("mode", 24, 4, "u32"), F("padding", 28, 4, "u32")]),
        new("fuse_in_header", 40, 0, [F("len", 0, 4, "u32"), F("opcode", 4, 4, "u32"), F("unique", 8, 8, "u64"), F("nodeid", 16, 8, "u64"), F("uid", 24, 4, "u32"), F("gid", 28, 4, "u32"), F("pid", 32, 4, "u32"), F("total_extlen", 36, 2, "u16"), F("padding", 38, 2, "u16")]),
        new("fuse_out_header", 16, 0, [F("len", 0, 4, "u32"), F("error", 4, 4, "i32"), F("unique", 8, 8, "u64")]),
        new("fuse_dirent", 24, 0, [F("ino", 0, 8, "u64"), F("off", 8, 8, "u64"), F("namelen", 16, 4, "u32"), F("type", 20, 4, "u32")]),
        new("fuse_direntplus", 152, 0, [F("entry_out", 0, 128, "agg"), F("dirent", 128, 24, "agg")]),
        new("fuse_notify_inval_inode_out", 24, 0, [F("ino", 0, 8, "u64"), F("off", 8, 8, "i64"), F("len", 16, 8, "i64")]),
        new("fuse_notify_inval_entry_out", 16, 0, [F("parent", 0, 8, "u64"), F("namelen", 8, 4, "u32"), F("flags", 12, 4, "u32")]),
        new("fuse_notify_delete_out", 24, 0, [F("parent", 0, 8, "u64"), F("child", 8, 8, "u64"), F("namelen", 16, 4, "u32"), F("padding", 20, 4, "u32")]),
        new("fuse_notify_store_out", 24, 0, [F("nodeid", 0, 8, "u64"), F("offset", 8, 8, "u64"), F("size", 16, 4, "u32"), F("padding", 20, 4, "u32")]),
        new("fuse_notify_retrieve_out", 32, 0, [F("notify_unique", 0, 8, "u64"), F("nodeid", 8, 8, "u64"), F("offset", 16, 8, "u64"), F("size", 24, 4, "u32"), F("padding", 28, 4, "u32")]),
        new("fuse_notify_retrieve_in", 40, 0, [F("dummy1", 0, 8, "u64"), F("offset", 8, 8, "u64"), F("size", 16, 4, "u32"), F("dummy2", 20, 4, "u32"), F("dummy3", 24, 8, "u64"), F("dummy4", 32, 8, "u64")]),
        new("fuse_notify_prune_out", 16, 46, [F("count", 0, 4, "u32"), F("padding", 4, 4, "u32"), F("spare", 8, 8, "u64")]),
        new("fuse_backing_map", 16, 40, [F("fd", 0, 4, "i32"), F("flags", 4, 4, "u32"), F("padding", 8, 8, "u64")]),
        new("fuse_lseek_in", 24, 0, [F("fh", 0, 8, "u64"), F("offset", 8, 8, "u64"), F("whence", 16, 4, "u32"), F("padding", 20, 4, "u32")]),
        new("fuse_lseek_out", 8, 0, [F("offset", 0, 8, "u64")]),
        new("fuse_copy_file_range_in", 56, 0, [F("fh_in", 0, 8, "u64"), F("off_in", 8, 8, "u64"), F("nodeid_out", 16, 8, "u64"), F("fh_out", 24, 8, "u64"), F("off_out", 32, 8, "u64"), F("len", 40, 8, "u64"), F("flags", 48, 8, "u64")]),
        new("fuse_copy_file_range_out", 8, 45, [F("bytes_copied", 0, 8, "u64")]),
        new("fuse_setupmapping_in", 40, 0, [F("fh", 0, 8, "u64"), F("foffset", 8, 8, "u64"), F("len", 16, 8, "u64"), F("flags", 24, 8, "u64"), F("moffset", 32, 8, "u64")]),
        new("fuse_removemapping_in", 4, 0, [F("count", 0, 4, "u32")]),
        new("fuse_removemapping_one", 16, 0, [F("moffset", 0, 8, "u64"), F("len", 8, 8, "u64")]),
        new("fuse_syncfs_in", 8, 0, [F("padding", 0, 8, "u64")]),
        new("fuse_secctx", 8, 0, [F("size", 0, 4, "u32"), F("padding", 4, 4, "u32")]),
        new("fuse_secctx_header", 8, 0, [F("size", 0, 4, "u32"), F("nr_secctx", 4, 4, "u32")]),
        new("fuse_ext_header", 8, 0, [F("size", 0, 4, "u32"), F("type", 4, 4, "u32")]),
        new("fuse_supp_groups", 4, 39, [F("nr_groups", 0, 4, "u32")]),
        new("fuse_uring_ent_in_out", 32, 42, [F("flags", 0, 8, "u64"), F("commit_id", 8, 8, "u64"), F("payload_sz", 16, 4, "u32"), F("padding", 20, 4, "u32"), F("reserved", 24, 8, "u64")]),
        new("fuse_uring_req_header", 288, 42, [F("in_out", 0, 128, "agg"), F("op_in", 128, 128, "agg"), F("ring_ent_in_out", 256, 32, "agg")]),
        new("fuse_uring_cmd_req", 24, 42, [F("flags", 0, 8, "u64"), F("commit_id", 8, 8, "u64"), F("qid", 16, 2, "u16"), F("padding", 18, 6, "agg")]),
    ];

    // ---- tests --------------------------------------------------------------------------------

    [Fact]
    public void Structs_match_protocol_7_45_reference_table()
    {
        var errors = new List<string>();
        foreach (var s in Reference)
            CompareStruct(s, s.Size, s.Fields.Select(f => (f, f.Offset, f.Size, f.Kind)), exactFieldSet: true, errors);
        Assert.True(errors.Count == 0, "ABI mismatches vs 7.45 reference:\n" + string.Join("\n", errors));
    }

    [Fact]
    public void Every_kernel_struct_is_covered_and_size_constants_are_right()
    {
        var errors = new List<string>();
        var covered = Reference.Select(s => ManagedTypeName(s.CName)).ToHashSet();
        var structs = typeof(FuseInHeader).Assembly.GetTypes()
            .Where(t => t.Namespace == "FastFuse.Kernel" && t.IsValueType && !t.IsEnum && t.IsPublic);
        foreach (var t in structs)
        {
            if (!covered.Contains(t.FullName!))
                errors.Add($"{t.Name}: public struct not in the reference table");
            if (!t.IsLayoutSequential)
                errors.Add($"{t.Name}: not LayoutKind.Sequential");
            int size = UnsafeSizeOf(t);
            foreach (var name in new[] { "Size", "StructSize" })
            {
                var c = t.GetField(name, BindingFlags.Public | BindingFlags.Static);
                if (c is { IsLiteral: true } && c.FieldType == typeof(int) && (int)c.GetRawConstantValue()! != size)
                    errors.Add($"{t.Name}.{name} = {c.GetRawConstantValue()} but sizeof = {size}");
            }
            if (t.GetField("Size", BindingFlags.Public | BindingFlags.Static) is null
                && t.GetField("StructSize", BindingFlags.Public | BindingFlags.Static) is null)
                errors.Add($"{t.Name}: no Size/StructSize constant");
        }
        Assert.Equal(24, FuseDirent.AlignedSize(0));
        Assert.Equal(32, FuseDirent.AlignedSize(1));
        Assert.Equal(32, FuseDirent.AlignedSize(8));
        Assert.Equal(40, FuseDirent.AlignedSize(9));
        Assert.Equal(152, FuseDirentplus.AlignedSize(0));
        Assert.Equal(160, FuseDirentplus.AlignedSize(5));
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public void Structs_match_system_header_via_gcc()
    {
        var c = new StringBuilder(CPrologue);
        c.AppendLine("#define KIND(x) _Generic((x), unsigned char: \"u8\", signed char: \"i8\", char: \"char\", unsigned short: \"u16\", short: \"i16\", unsigned int: \"u32\", int: \"i32\", unsigned long: \"u64\", long: \"i64\", unsigned long long: \"u64\", long long: \"i64\", default: \"agg\")");
        c.AppendLine("int main(void) {");
        c.AppendLine("printf(\"V %d\\n\", FUSE_KERNEL_MINOR_VERSION);");
        foreach (var s in Reference)
        {
            c.AppendLine($"#if FUSE_KERNEL_MINOR_VERSION >= {s.Since}");
            c.AppendLine($"printf(\"S {s.CName} %zu\\n\", sizeof(struct {s.CName}));");
            foreach (var f in s.Fields)
            {
                c.AppendLine($"#if FUSE_KERNEL_MINOR_VERSION >= {f.Since}");
                string m = $"((struct {s.CName} *)0)->{f.CName}";
                c.AppendLine($"printf(\"F {s.CName} {f.CName} %zu %zu %s\\n\", offsetof(struct {s.CName}, {f.CName}), sizeof({m}), KIND({m}));");
                c.AppendLine("#else");
                c.AppendLine($"printf(\"AF {s.CName} {f.CName}\\n\");");
                c.AppendLine("#endif");
            }
            c.AppendLine("#else");
            c.AppendLine($"printf(\"A {s.CName}\\n\");");
            c.AppendLine("#endif");
        }
        c.AppendLine("return 0; }");

        var lines = CompileAndRun(c.ToString());
        var sizes = new Dictionary<string, int>();
        var fields = new Dictionary<(string, string), (int Off, int Size, string Kind)>();
        var absent = new List<string>();
        foreach (var line in lines)
        {
            var p = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            switch (p[0])
            {
                case "V": _output.WriteLine($"system <linux/fuse.h> is protocol 7.{p[1]}"); break;
                case "S": sizes[p[1]] = int.Parse(p[2]); break;
                case "F": fields[(p[1], p[2])] = (int.Parse(p[3]), int.Parse(p[4]), p[5]); break;
                case "A": absent.Add(p[1]); break;
                case "AF": absent.Add(p[1] + "." + p[2]); break;
            }
        }
        _output.WriteLine($"absent from system header (checked only against the 7.45 table): {string.Join(", ", absent)}");

        var errors = new List<string>();
        int compared = 0;
        foreach (var s in Reference.Where(s => sizes.ContainsKey(s.CName)))
        {
            compared++;
            var present = s.Fields.Where(f => fields.ContainsKey((s.CName, f.CName)))
                .Select(f => { var g = fields[(s.CName, f.CName)]; return (f, g.Off, g.Size, g.Kind); });
            CompareStruct(s, sizes[s.CName], present, exactFieldSet: false, errors);
        }
        _output.WriteLine($"{compared} structs compared against gcc");
        Assert.True(compared > 50, $"only {compared} structs found in the system header");
        Assert.True(errors.Count == 0, "ABI mismatches vs system <linux/fuse.h>:\n" + string.Join("\n", errors));
    }

    [Fact]
    public void Constants_match_system_headers_via_gcc()
    {
        var consts = AllConstants();
        var c = new StringBuilder(CPrologue);
        c.AppendLine("int main(void) {");
        c.AppendLine("printf(\"V %d\\n\", FUSE_KERNEL_MINOR_VERSION);");
        for (int i = 0; i < consts.Count; i++)
        {
            var k = consts[i];
            c.AppendLine(k.IsEnumConstant ? $"#if FUSE_KERNEL_MINOR_VERSION >= {k.Since}" : $"#ifdef {k.Guard}");
            c.AppendLine($"printf(\"C {i} %llu %zu\\n\", (unsigned long long)({k.Expr}), sizeof({k.Expr}));");
            c.AppendLine("#else");
            c.AppendLine($"printf(\"N {i}\\n\");");
            c.AppendLine("#endif");
        }
        c.AppendLine("return 0; }");

        var lines = CompileAndRun(c.ToString());
        int minor = 0;
        var errors = new List<string>();
        var absent = new List<string>();
        int compared = 0;
        foreach (var line in lines)
        {
            var p = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (p[0] == "V") { minor = int.Parse(p[1]); continue; }
            var k = consts[int.Parse(p[1])];
            if (p[0] == "N")
            {
                if (k.Since <= minor)
                    errors.Add($"{k.Expr} ({k.Owner}): expected in a 7.{minor} header but not defined - wrong name?");
                else
                    absent.Add(k.Expr);
                continue;
            }
            compared++;
            ulong actual = ulong.Parse(p[2]);
            if (int.Parse(p[3]) == 4)
                actual &= 0xFFFF_FFFFUL; // e.g. FUSE_INIT_RESERVED is (1 << 31): a negative int that sign-extends
            if (actual != k.Expected)
                errors.Add($"{k.Expr} ({k.Owner}): header = {actual} (0x{actual:X}), ours = {k.Expected} (0x{k.Expected:X})");
        }
        _output.WriteLine($"system header protocol 7.{minor}; {compared} constants compared; absent (newer than header): {string.Join(", ", absent)}");
        Assert.True(errors.Count == 0, "constant mismatches:\n" + string.Join("\n", errors));
    }

    [Fact]
    public void Name_helpers_do_not_allocate_and_cover_all_values()
    {
        foreach (Opcode op in Enum.GetValues<Opcode>())
            Assert.NotEqual("UNKNOWN", OpcodeInfo.Name(op));
        Assert.Equal("LOOKUP", OpcodeInfo.Name(Opcode.Lookup));
        Assert.Equal("BATCH_FORGET", OpcodeInfo.Name(Opcode.BatchForget));
        Assert.Equal("CUSE_INIT", OpcodeInfo.Name(Opcode.CuseInit));
        Assert.Equal("UNKNOWN", OpcodeInfo.Name((Opcode)7));
        Assert.Equal("UNKNOWN", OpcodeInfo.Name((Opcode)9999));
        Assert.Equal(53, OpcodeInfo.MaxOpcode);
        Assert.False(OpcodeInfo.IsDefined((Opcode)19));
        Assert.True(OpcodeInfo.IsDefined(Opcode.Statx));

        foreach (var f in typeof(Errno).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral))
        {
            int v = (int)f.GetRawConstantValue()!;
            string name = Errno.Name(v);
            Assert.NotEqual("EUNKNOWN", name);
            Assert.Equal(v, (int)typeof(Errno).GetField(name)!.GetRawConstantValue()!);
            Assert.Same(name, Errno.Name(-v));
        }
        Assert.Equal("ENOENT", Errno.Name(2));
        Assert.Equal("EUNKNOWN", Errno.Name(4242));

        // Warm up, then measure.
        for (int i = 0; i < 3; i++) { NameLoop(); }
        long before = GC.GetAllocatedBytesForCurrentThread();
        int total = NameLoop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(total > 0);
        Assert.Equal(0, allocated);
    }

    private static int NameLoop()
    {
        int total = 0;
        for (uint v = 0; v < 60; v++) total += OpcodeInfo.Name((Opcode)v).Length;
        total += OpcodeInfo.Name(Opcode.CuseInit).Length;
        for (int e = -140; e < 140; e++) total += Errno.Name(e).Length;
        return total;
    }

    // ---- struct comparison -------------------------------------------------------------------

    private static void CompareStruct(StructSpec s, int expectedSize,
        IEnumerable<(FieldSpec Spec, int Offset, int Size, string Kind)> expectedFields, bool exactFieldSet, List<string> errors)
    {
        string typeName = ManagedTypeName(s.CName);
        var t = typeof(FuseInHeader).Assembly.GetType(typeName);
        if (t is null) { errors.Add($"{s.CName}: no type {typeName}"); return; }

        int unsafeSize = UnsafeSizeOf(t);
        int marshalSize = Marshal.SizeOf(t);
        if (unsafeSize != expectedSize || marshalSize != expectedSize)
            errors.Add($"{s.CName}: size C = {expectedSize}, Unsafe.SizeOf = {unsafeSize}, Marshal.SizeOf = {marshalSize}");

        var instanceFields = t.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance);
        if (exactFieldSet)
        {
            var expectedNames = s.Fields.Select(f => Pascal(f.CName)).ToList();
            var actualNames = instanceFields.OrderBy(f => Marshal.OffsetOf(t, f.Name).ToInt64()).Select(f => f.Name).ToList();
            if (!expectedNames.SequenceEqual(actualNames))
                errors.Add($"{s.CName}: fields [{string.Join(", ", actualNames)}], expected [{string.Join(", ", expectedNames)}]");
        }

        foreach (var (spec, offset, size, kind) in expectedFields)
        {
            string fieldName = Pascal(spec.CName);
            var fi = t.GetField(fieldName, BindingFlags.Public | BindingFlags.Instance);
            if (fi is null) { errors.Add($"{s.CName}.{spec.CName}: no public field {t.Name}.{fieldName}"); continue; }
            int actualOffset = Marshal.OffsetOf(t, fieldName).ToInt32();
            int actualSize = Marshal.SizeOf(fi.FieldType);
            string actualKind = Kind(fi.FieldType);
            if (actualOffset != offset)
                errors.Add($"{s.CName}.{spec.CName}: offset C = {offset}, {t.Name}.{fieldName} = {actualOffset}");
            if (actualSize != size)
                errors.Add($"{s.CName}.{spec.CName}: size C = {size}, {t.Name}.{fieldName} = {actualSize}");
            if (actualKind != kind)
                errors.Add($"{s.CName}.{spec.CName}: type C = {kind}, {t.Name}.{fieldName} = {actualKind} ({fi.FieldType.Name})");
        }
    }

    private static string Kind(Type t) =>
        t == typeof(byte) ? "u8" :
        t == typeof(sbyte) ? "i8" :
        t == typeof(ushort) ? "u16" :
        t == typeof(short) ? "i16" :
        t == typeof(uint) ? "u32" :
        t == typeof(int) ? "i32" :
        t == typeof(ulong) ? "u64" :
        t == typeof(long) ? "i64" :
        t.IsValueType && !t.IsPrimitive && !t.IsEnum ? "agg" : "other:" + t.Name;

    private static int UnsafeSizeOf(Type t) =>
        (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(t).Invoke(null, null)!;

    /// <summary>fuse_xxx_yyy -> FuseXxxYyy (split on '_', empty parts dropped).</summary>
    public static string Pascal(string snake) =>
        string.Concat(snake.Split('_', StringSplitOptions.RemoveEmptyEntries).Select(p => char.ToUpperInvariant(p[0]) + p[1..]));

    private static string ManagedTypeName(string cName) => "FastFuse.Kernel." + Pascal(cName);

    /// <summary>AtomicOTrunc -> ATOMIC_O_TRUNC.</summary>
    private static string Snake(string pascal)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < pascal.Length; i++)
        {
            if (i > 0 && char.IsUpper(pascal[i])) sb.Append('_');
            sb.Append(char.ToUpperInvariant(pascal[i]));
        }
        return sb.ToString();
    }

    // ---- constants ---------------------------------------------------------------------------

    private sealed record ConstSpec(string Owner, string Expr, ulong Expected, int Since, bool IsEnumConstant, string Guard);

    private static ConstSpec Macro(string owner, string name, ulong value, int since = 0) => new(owner, name, value, since, false, name);

    private static ConstSpec EnumConst(string owner, string name, ulong value, int since = 0) => new(owner, name, value, since, true, name);

    private static void AddEnum<T>(List<ConstSpec> list, string prefix, bool isCEnum, Dictionary<string, string>? overrides = null,
        Dictionary<string, int>? since = null) where T : struct, Enum
    {
        foreach (var name in Enum.GetNames<T>())
        {
            ulong value = Convert.ToUInt64(Enum.Parse<T>(name));
            if (name == "None") continue;
            string cName = overrides != null && overrides.TryGetValue(name, out var o) ? o : prefix + Snake(name);
            int s = since != null && since.TryGetValue(name, out var v) ? v : 0;
            list.Add(isCEnum ? EnumConst(typeof(T).Name, cName, value, s) : Macro(typeof(T).Name, cName, value, s));
        }
    }

    private static List<ConstSpec> AllConstants()
    {
        var list = new List<ConstSpec>();
        foreach (var op in Enum.GetValues<Opcode>())
        {
            string cName = op switch
            {
                Opcode.CuseInit => "CUSE_INIT",
                Opcode.CuseInitBswapReserved => "CUSE_INIT_BSWAP_RESERVED",
                _ => "FUSE_" + OpcodeInfo.Name(op),
            };
            int since = op switch { Opcode.Statx => 39, Opcode.CopyFileRange64 => 45, _ => 0 };
            list.Add(EnumConst(nameof(Opcode), cName, (ulong)op, since));
        }
        AddEnum<InitFlags>(list, "FUSE_", false, since: new()
        {
            ["CreateSuppGroup"] = 39, ["DirectIoAllowMmap"] = 39, ["DirectIoRelax"] = 39, ["Passthrough"] = 40, ["NoExportSupport"] = 40,
            ["HasResend"] = 40, ["AllowIdmap"] = 41, ["OverIoUring"] = 42, ["RequestTimeout"] = 43,
        });
        AddEnum<FopenFlags>(list, "FOPEN_", false,
            new() { ["NonSeekable"] = "FOPEN_NONSEEKABLE", ["NoFlush"] = "FOPEN_NOFLUSH" }, new() { ["Passthrough"] = 40 });
        AddEnum<OpenInFlags>(list, "FUSE_OPEN_", false);
        AddEnum<SetattrValid>(list, "FATTR_", false, new() { ["LockOwner"] = "FATTR_LOCKOWNER" });
        AddEnum<GetattrFlags>(list, "FUSE_GETATTR_", false);
        AddEnum<ReleaseFlags>(list, "FUSE_RELEASE_", false);
        AddEnum<WriteFlags>(list, "FUSE_WRITE_", false);
        AddEnum<ReadFlags>(list, "FUSE_READ_", false);
        AddEnum<FsyncFlags>(list, "FUSE_FSYNC_", false);
        AddEnum<SetxattrFlags>(list, "FUSE_SETXATTR_", false);
        AddEnum<LkFlags>(list, "FUSE_LK_", false);
        AddEnum<IoctlFlags>(list, "FUSE_IOCTL_", false, new() { ["Bit32"] = "FUSE_IOCTL_32BIT" });
        AddEnum<PollFlags>(list, "FUSE_POLL_", false);
        AddEnum<AttrFlags>(list, "FUSE_ATTR_", false);
        AddEnum<NotifyInvalEntryFlags>(list, "FUSE_", false);
        AddEnum<CuseInitFlags>(list, "CUSE_", false);
        AddEnum<SetupmappingFlags>(list, "FUSE_SETUPMAPPING_FLAG_", false);
        AddEnum<NotifyCode>(list, "FUSE_NOTIFY_", true, since: new() { ["Resend"] = 40, ["IncEpoch"] = 44, ["Prune"] = 46 });
        AddEnum<ExtType>(list, "FUSE_", true, new() { ["Groups"] = "FUSE_EXT_GROUPS" },
            new() { ["MaxNrSecctx"] = 38, ["Groups"] = 39 });
        AddEnum<UringCmd>(list, "FUSE_IO_URING_CMD_", true,
            since: new() { ["Invalid"] = 42, ["Register"] = 42, ["CommitAndFetch"] = 42 });

        const string fc = nameof(FuseConstants);
        list.Add(Macro(fc, "FUSE_KERNEL_VERSION", FuseConstants.KernelVersion));
        list.Add(Macro(fc, "FUSE_ROOT_ID", FuseConstants.RootId));
        list.Add(Macro(fc, "FUSE_MIN_READ_BUFFER", FuseConstants.MinReadBuffer));
        list.Add(Macro(fc, "FUSE_COMPAT_ENTRY_OUT_SIZE", FuseConstants.CompatEntryOutSize));
        list.Add(Macro(fc, "FUSE_COMPAT_ATTR_OUT_SIZE", FuseConstants.CompatAttrOutSize));
        list.Add(Macro(fc, "FUSE_COMPAT_MKNOD_IN_SIZE", FuseConstants.CompatMknodInSize));
        list.Add(Macro(fc, "FUSE_COMPAT_WRITE_IN_SIZE", FuseConstants.CompatWriteInSize));
        list.Add(Macro(fc, "FUSE_COMPAT_STATFS_SIZE", FuseConstants.CompatStatfsSize));
        list.Add(Macro(fc, "FUSE_COMPAT_SETXATTR_IN_SIZE", FuseConstants.CompatSetxattrInSize));
        list.Add(Macro(fc, "FUSE_COMPAT_INIT_OUT_SIZE", FuseConstants.CompatInitOutSize));
        list.Add(Macro(fc, "FUSE_COMPAT_22_INIT_OUT_SIZE", FuseConstants.Compat22InitOutSize));
        list.Add(Macro(fc, "CUSE_INIT_INFO_MAX", FuseConstants.CuseInitInfoMax));
        list.Add(Macro(fc, "FUSE_IOCTL_MAX_IOV", FuseConstants.IoctlMaxIov));
        list.Add(Macro(fc, "FUSE_UNIQUE_RESEND", FuseConstants.UniqueResend, 40));
        list.Add(Macro(fc, "FUSE_INVALID_UIDGID", FuseConstants.InvalidUidGid, 41));
        list.Add(Macro(fc, "FUSE_URING_IN_OUT_HEADER_SZ", FuseConstants.UringInOutHeaderSz, 42));
        list.Add(Macro(fc, "FUSE_URING_OP_IN_OUT_SZ", FuseConstants.UringOpInOutSz, 42));
        list.Add(new(fc, "FUSE_NAME_OFFSET", FuseDirent.NameOffset, 0, false, "FUSE_NAME_OFFSET"));
        list.Add(new(fc, "FUSE_NAME_OFFSET_DIRENTPLUS", FuseDirentplus.NameOffset, 0, false, "FUSE_NAME_OFFSET_DIRENTPLUS"));
        foreach (int n in new[] { 0, 1, 7, 8, 9, 255 })
            list.Add(new("FuseDirent.AlignedSize", $"FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + {n})", (ulong)FuseDirent.AlignedSize(n), 0, false, "FUSE_DIRENT_ALIGN"));

        const string di = nameof(DevIoctl);
        list.Add(Macro(di, "FUSE_DEV_IOC_MAGIC", DevIoctl.Magic));
        list.Add(Macro(di, "FUSE_DEV_IOC_CLONE", DevIoctl.Clone));
        list.Add(Macro(di, "FUSE_DEV_IOC_BACKING_OPEN", DevIoctl.BackingOpen, 40));
        list.Add(Macro(di, "FUSE_DEV_IOC_BACKING_CLOSE", DevIoctl.BackingClose, 40));
        list.Add(Macro(di, "FUSE_DEV_IOC_SYNC_INIT", DevIoctl.SyncInit, 46));

        foreach (var owner in new[] { typeof(Errno), typeof(Linux) })
            foreach (var f in owner.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral))
                list.Add(Macro(owner.Name, f.Name, Convert.ToUInt64(f.GetRawConstantValue())));
        return list;
    }

    // ---- gcc plumbing --------------------------------------------------------------------------

    private const string CPrologue = """
        #define _GNU_SOURCE
        #include <stdio.h>
        #include <stddef.h>
        #include <stdint.h>
        #include <errno.h>
        #include <fcntl.h>
        #include <unistd.h>
        #include <dirent.h>
        #include <sys/stat.h>
        #include <sys/xattr.h>
        #include <sys/ioctl.h>
        #include <linux/falloc.h>
        #include <linux/fuse.h>

        """;

    internal static List<string> CompileAndRun(string source)
    {
        string dir = Path.Combine(Path.GetTempPath(), "fastfuse-abi-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string exe = Path.Combine(dir, "abi");
            var (rc, _, err) = Run("gcc", ["-x", "c", "-", "-o", exe], source, "gcc (apt install gcc linux-libc-dev)");
            if (rc != 0)
            {
                File.WriteAllText(Path.Combine(Path.GetTempPath(), "fastfuse-abi-failed.c"), source);
                Assert.Fail($"gcc failed to compile the ABI probe against <linux/fuse.h> (is linux-libc-dev installed?); source saved to {Path.GetTempPath()}fastfuse-abi-failed.c\n{err}");
            }
            var (rc2, stdout, err2) = Run(exe, [], null, "compiled ABI probe");
            Assert.True(rc2 == 0, $"ABI probe exited with {rc2}: {err2}");
            return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    private static (int ExitCode, string Stdout, string Stderr) Run(string file, string[] args, string? stdin, string what)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process p;
        try
        {
            p = Process.Start(psi) ?? throw new InvalidOperationException("Process.Start returned null");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Assert.Fail($"cannot run {what}: {e.Message}");
            throw;
        }
        using (p)
        {
            var stdoutTask = p.StandardOutput.ReadToEndAsync();
            var stderrTask = p.StandardError.ReadToEndAsync();
            if (stdin != null) p.StandardInput.Write(stdin);
            p.StandardInput.Close();
            if (!p.WaitForExit(120_000))
            {
                p.Kill(true);
                Assert.Fail($"{what} timed out");
            }
            return (p.ExitCode, stdoutTask.Result, stderrTask.Result);
        }
    }
}
