#pragma once

#include <QList>
#include <QString>

#include <optional>

namespace cd::model {

enum class JobStatus { Queued, Starting, Running, Completed, Failed, TimedOut, Cancelling, Cancelled };

QString toString(JobStatus status);
std::optional<JobStatus> jobStatusFromString(QStringView text);
QList<JobStatus> allStatuses();
bool isTerminal(JobStatus status);
bool isActive(JobStatus status); // handed to a backend: starting, running, cancelling
// The one transition table (DESIGN §2); the store refuses anything it does not list.
bool canTransition(JobStatus from, JobStatus to);

enum class Backend { Local, RunPod, RunPodPod };

QString toString(Backend backend);
std::optional<Backend> backendFromString(QStringView text);
QList<Backend> allBackends();

} // namespace cd::model
