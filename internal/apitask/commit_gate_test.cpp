#include "apitask/commit_gate.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include <doctest/doctest.h>

#include "apitask/context.hpp"

using namespace std::chrono_literals;
using gotrue::apitask::CommitGate;

TEST_SUITE("apitask commit gate") {
    TEST_CASE("closed before the commit: the commit is refused, and every later one") {
        CommitGate gate;
        CHECK_FALSE(gate.IsClosed());
        CHECK(gate.Close());
        CHECK(gate.IsClosed());
        CHECK_FALSE(gate.Pass());
        CHECK_FALSE(gate.Pass());
        CHECK(gate.Close());  // idempotent: still nothing committed
    }

    TEST_CASE("committed first: closing reports the commit, later transactions pass too") {
        CommitGate gate;
        CHECK(gate.Pass());
        CHECK_FALSE(gate.Close());
        CHECK_FALSE(gate.IsClosed());
        CHECK(gate.Pass());  // a second transaction of a committed request
        CHECK_FALSE(gate.Close());
    }

    TEST_CASE("a transaction cannot enter a closed gate") {
        CommitGate gate;
        CHECK(gate.Close());
        bool called = false;
        CHECK_FALSE(gate.Enter([&called] { called = true; }));
        gate.CancelRunning();
        CHECK_FALSE(called);
        CHECK_FALSE(gate.Leave());
    }

    TEST_CASE("closing cancels the statement of the transaction in flight, once") {
        CommitGate gate;
        int cancels = 0;
        REQUIRE(gate.Enter([&cancels] { ++cancels; }));
        CHECK(gate.Close());
        gate.CancelRunning();
        gate.CancelRunning();
        CHECK(cancels == 1);
        CHECK_FALSE(gate.Pass());
        CHECK(gate.Leave());  // the connection got a cancel request: not to be reused
    }

    TEST_CASE("no cancel while the gate is open, after a commit, or after Leave") {
        CommitGate gate;
        int cancels = 0;
        REQUIRE(gate.Enter([&cancels] { ++cancels; }));
        gate.CancelRunning();  // open: the deadline has not passed
        CHECK(cancels == 0);
        CHECK(gate.Pass());
        CHECK_FALSE(gate.Close());
        gate.CancelRunning();  // committed: nothing to stop
        CHECK(cancels == 0);
        CHECK_FALSE(gate.Leave());

        CommitGate other;
        REQUIRE(other.Enter([&cancels] { ++cancels; }));
        CHECK_FALSE(other.Leave());
        CHECK(other.Close());
        other.CancelRunning();  // the transaction is over: its connection may serve another
        CHECK(cancels == 0);
    }

    TEST_CASE("a nested transaction does not replace the outer one's canceller") {
        CommitGate gate;
        int outer = 0;
        int inner = 0;
        REQUIRE(gate.Enter([&outer] { ++outer; }));
        CHECK_FALSE(gate.Enter([&inner] { ++inner; }));
        CHECK_FALSE(gate.IsClosed());
        CHECK(gate.Close());
        gate.CancelRunning();
        CHECK(outer == 1);
        CHECK(inner == 0);
        CHECK(gate.Leave());
    }

    TEST_CASE("Leave waits for a cancel in progress") {
        CommitGate gate;
        std::promise<void> cancelling;
        std::atomic<bool> cancel_done{false};
        REQUIRE(gate.Enter([&] {
            cancelling.set_value();
            std::this_thread::sleep_for(200ms);
            cancel_done = true;
        }));
        REQUIRE(gate.Close());
        std::thread canceller([&gate] { gate.CancelRunning(); });
        cancelling.get_future().wait();
        CHECK(gate.Leave());
        CHECK(cancel_done.load());  // Leave returned only after the cancel finished
        canceller.join();
    }

    TEST_CASE("close and commit racing: exactly one of them wins") {
        for (int round = 0; round < 200; ++round) {
            CommitGate gate;
            std::atomic<bool> go{false};
            bool passed = false;
            bool closed = false;
            std::thread committer([&] {
                while (!go.load()) {
                }
                passed = gate.Pass();
            });
            std::thread deadline([&] {
                while (!go.load()) {
                }
                closed = gate.Close();
            });
            go = true;
            committer.join();
            deadline.join();
            CHECK(passed != closed);
        }
    }

    TEST_CASE("a request context carries its gate to copies, also to its tasks' context") {
        auto gate = std::make_shared<CommitGate>();
        const gotrue::apitask::Context plain;
        CHECK(plain.Gate() == nullptr);
        const auto gated = plain.WithCommitGate(gate);
        CHECK(gated.Gate() == gate);
        CHECK(gated.WithoutWorker().Gate() == gate);
        CHECK(plain.Gate() == nullptr);
    }
}
