// Fuzzes the log-line parser with raw callback bytes: no crash, and what it reports stays in range.
#include "logs/logparser.h"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray raw(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    for (auto source : {cd::model::LogSource::Callback, cd::model::LogSource::Stdout}) {
        const cd::logs::ParsedLine line = cd::logs::LogParser::parse(raw, source);
        if (line.progress && (*line.progress < 0 || *line.progress > 100))
            std::abort();
        if (!line.truncated && raw.size() <= cd::logs::LogParser::kMaxLineBytes && line.message.isEmpty() &&
            !raw.isEmpty() && !raw.contains('\0') && raw.trimmed().size() == raw.size())
            std::abort(); // a non-empty line never vanishes
    }
    return 0;
}
