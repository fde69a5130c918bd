#include "jobstatus.h"

namespace cd::model {

namespace {
struct StatusName
{
    JobStatus status;
    const char16_t *name;
};
constexpr StatusName kStatusNames[] = {
    {JobStatus::Queued, u"queued"},         {JobStatus::Starting, u"starting"},   {JobStatus::Running, u"running"},
    {JobStatus::Completed, u"completed"},   {JobStatus::Failed, u"failed"},       {JobStatus::TimedOut, u"timed_out"},
    {JobStatus::Cancelling, u"cancelling"}, {JobStatus::Cancelled, u"cancelled"},
};

struct Edge
{
    JobStatus from;
    JobStatus to;
};
// starting -> failed/timed_out covers a backend that refuses the job before it runs (missing binary,
// RunPod 4xx); running/starting -> failed also covers restart recovery.
constexpr Edge kEdges[] = {
    {JobStatus::Queued, JobStatus::Starting},      {JobStatus::Queued, JobStatus::Cancelling},
    {JobStatus::Starting, JobStatus::Running},     {JobStatus::Starting, JobStatus::Failed},
    {JobStatus::Starting, JobStatus::TimedOut},    {JobStatus::Starting, JobStatus::Cancelling},
    {JobStatus::Running, JobStatus::Completed},    {JobStatus::Running, JobStatus::Failed},
    {JobStatus::Running, JobStatus::TimedOut},     {JobStatus::Running, JobStatus::Cancelling},
    {JobStatus::Cancelling, JobStatus::Cancelled},
};

struct BackendName
{
    Backend backend;
    const char16_t *name;
};
constexpr BackendName kBackendNames[] = {
    {Backend::Local, u"local"}, {Backend::RunPod, u"runpod"}, {Backend::RunPodPod, u"runpod-pod"}};
} // namespace

QString toString(JobStatus status)
{
    for (const auto &n : kStatusNames)
        if (n.status == status)
            return QString::fromUtf16(n.name);
    return {};
}

std::optional<JobStatus> jobStatusFromString(QStringView text)
{
    for (const auto &n : kStatusNames)
        if (text.compare(QStringView(n.name), Qt::CaseInsensitive) == 0)
            return n.status;
    return std::nullopt;
}

QList<JobStatus> allStatuses()
{
    QList<JobStatus> out;
    for (const auto &n : kStatusNames)
        out.append(n.status);
    return out;
}

bool isTerminal(JobStatus status)
{
    return status == JobStatus::Completed || status == JobStatus::Failed || status == JobStatus::TimedOut ||
           status == JobStatus::Cancelled;
}

bool isActive(JobStatus status)
{
    return status == JobStatus::Starting || status == JobStatus::Running || status == JobStatus::Cancelling;
}

bool canTransition(JobStatus from, JobStatus to)
{
    for (const auto &e : kEdges)
        if (e.from == from && e.to == to)
            return true;
    return false;
}

QString toString(Backend backend)
{
    for (const auto &n : kBackendNames)
        if (n.backend == backend)
            return QString::fromUtf16(n.name);
    return {};
}

std::optional<Backend> backendFromString(QStringView text)
{
    for (const auto &n : kBackendNames)
        if (text.compare(QStringView(n.name), Qt::CaseInsensitive) == 0)
            return n.backend;
    return std::nullopt;
}

QList<Backend> allBackends()
{
    QList<Backend> out;
    for (const auto &n : kBackendNames)
        out.append(n.backend);
    return out;
}

} // namespace cd::model
