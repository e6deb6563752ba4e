//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// common/condition_wait.hpp
//
// Waiting on a condition variable without binding to the newest libstdc++.
//===----------------------------------------------------------------------===//

#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace openduck {

//! condition_variable::wait(lock, ready), built from wait_for: GCC 12 binds plain wait() to a libstdc++ symbol of
//! version GLIBCXX_3.4.30, which the libstdc++ of Amazon Linux 2023 (AWS Lambda's Node.js runtimes, GCC 11) lacks,
//! and the extension must load there. A notification wakes the waiter at once; the timeout only bounds a sleep.
template <class READY>
void WaitUntil(std::condition_variable &changed, std::unique_lock<std::mutex> &guard, READY ready) {
	while (!ready()) {
		changed.wait_for(guard, std::chrono::seconds(1));
	}
}

} // namespace openduck
