#pragma once

#include "retention/retentionsweeper.h"
#include "stack.h"
#include "store/retention.h"

namespace cdtest {

// A job that ran and completed on `st`, its finish `daysAgo` days back.
QString finishedJob(Stack &st, int daysAgo);

// A retention sweeper on a Stack's services, wired as the application wires it: what a batch
// deleted goes out on the change feed. 30 days unless set otherwise.
struct RetentionRun
{
    // announce = false: the deletion is not published, as when the notice to this node was lost.
    explicit RetentionRun(Stack &st, bool announce = true);
    // One sweep, waited for; false when it did not start or finish.
    bool run(int timeoutMs = 10000);

    cd::store::Retention store;
    cd::retention::RetentionSweeper sweeper;
};

} // namespace cdtest
