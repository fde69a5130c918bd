#pragma once

#include "stack.h"

#include <QStringList>

#include <gtest/gtest.h>

namespace cdtest {

// A job no runner takes; its log is lines 1..n: every tenth one an ERROR "<errorText> at i", every
// 25th a WARNING "slow page i" (ERROR wins where both apply), the rest INFO "fetched page i".
inline QString jobWithLog(Stack &st, int n, const QString &errorText = QStringLiteral("Broken pipe"))
{
    cd::model::JobSpec spec;
    spec.backend = cd::model::Backend::RunPod;
    const QString id = st.jobs->insert(spec).value().id;
    QStringList lines;
    for (int i = 1; i <= n; ++i)
        lines << (i % 10 == 0   ? QStringLiteral("[ERROR] %1 at %2").arg(errorText).arg(i)
                  : i % 25 == 0 ? QStringLiteral("[WARNING] slow page %1").arg(i)
                                : QStringLiteral("[INFO] fetched page %1").arg(i));
    st.bus->append(id, cd::model::LogSource::Stdout, lines);
    EXPECT_TRUE(st.logs->flush());
    return id;
}

} // namespace cdtest
