#include "feedprobe.h"

#include <gtest/gtest.h>

namespace cdtest {

Stores::Stores(const QString &location, const QString &applicationName)
{
    if (auto st = db.open(location, applicationName); !st)
        ADD_FAILURE() << st.error().detail.toStdString();
}

void Received::attach(cd::feed::ChangeFeed &feed, const QString &jobId)
{
    QObject::connect(&feed, &cd::feed::ChangeFeed::linesCommitted, &feed,
                     [this, jobId](const QString &id, const cd::model::LogLines &lines) {
                         if (id != jobId)
                             return;
                         for (const auto &l : lines) {
                             seqs << l.seq;
                             messages << l.message;
                             if (clock)
                                 atNs[l.seq] = clock->nsecsElapsed();
                         }
                     });
}

} // namespace cdtest
