// Fuzzes the request framer: no input may crash it, and the requests it frames (or the point where
// it refuses), and what it parses of each (target, fields, head length, chunked body), must not
// depend on how the bytes are split across reads.
#include "http/httpframing.h"

#include <QList>

#include <cstdint>
#include <cstdlib>

namespace {

struct Outcome
{
    QList<qsizetype> requests; // length of each complete request, in order
    QList<qsizetype> heads;    // and of its head
    QList<QByteArray> targets;
    QList<QList<QPair<QByteArray, QByteArray>>> fields;
    QList<QByteArray> chunkedBodies;
    cd::http::RequestFramer::Phase last = cd::http::RequestFramer::Phase::Idle;
    int status = 0;
    bool operator==(const Outcome &) const = default;
};

// Feeds `data` in pieces of `step` bytes (0 = all at once), framing request after request.
Outcome frame(const QByteArray &data, qsizetype step)
{
    cd::http::FramingLimits limits;
    limits.maxBodyBytes = 4096; // small limits so the fuzzer reaches them
    limits.maxHeaderBytes = 2048;
    limits.maxRequestLineBytes = 512;
    limits.maxHeaderLineBytes = 256;
    limits.maxHeaders = 8;
    cd::http::RequestFramer f(limits);
    Outcome out;
    qsizetype pos = 0, start = 0;
    while (pos < data.size()) {
        const qsizetype n = step > 0 ? qMin(step, data.size() - pos) : data.size() - pos;
        const qsizetype took = f.feed(data.constData() + pos, n);
        if (took < 0 || took > n)
            std::abort();
        pos += took;
        if (f.refused())
            break;
        if (f.complete()) {
            out.requests << pos - start;
            out.heads << f.headLength();
            if (f.headLength() <= 0 || f.headLength() > pos - start)
                std::abort();
            out.targets << f.target();
            out.fields << f.fields();
            out.chunkedBodies << f.takeChunkedBody();
            start = pos;
            f.next();
        }
    }
    out.last = f.phase();
    out.status = f.refusal().status;
    if (f.refused() && (out.status < 400 || out.status > 505))
        std::abort();
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    const Outcome whole = frame(bytes, 0);
    if (!(frame(bytes, 1) == whole) || !(frame(bytes, 7) == whole))
        std::abort();
    return 0;
}
