/*
 * mock-cluster: librdkafka's in-memory mock Kafka cluster (rdkafka_mock.h) as a
 * process of its own, the in-memory C broker that bench/suites/rdkafka.ts measures
 * Samsa against in the same run, with the same client.
 *
 * Built by bench/tools/rdkafka-tools.ts:
 *   cc -O2 -o mock-cluster mock-cluster.c $(pkg-config --cflags --libs rdkafka)
 *
 * Prints "BOOTSTRAP=host:port" once the cluster listens, then reads commands from
 * stdin, one a line, and answers each on stdout:
 *   topic NAME PARTITIONS   creates a topic (replication factor 1)  -> "ok" | "error MSG"
 * It exits at the end of stdin, or on SIGTERM / SIGINT. Commands on stdin rather than
 * topics on the command line let a run create a new topic per round without restarting
 * the cluster, as it does with Samsa.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static volatile sig_atomic_t stopping = 0;

static void on_stop(int sig) {
        (void)sig;
        stopping = 1;
}

int main(int argc, char **argv) {
        int brokers = argc > 1 ? atoi(argv[1]) : 1;
        char errstr[512];
        char line[1024];
        struct sigaction sa;
        rd_kafka_conf_t *conf;
        rd_kafka_t *rk;
        rd_kafka_mock_cluster_t *cluster;

        if (brokers < 1) {
                fprintf(stderr, "usage: %s [brokers]\n", argv[0]);
                return 2;
        }
        /* No SA_RESTART: a signal ends the blocking read of stdin. */
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_stop;
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);

        /* The cluster hangs off a client handle that itself never connects. */
        conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (rk == NULL) {
                fprintf(stderr, "rd_kafka_new: %s\n", errstr);
                return 1;
        }
        cluster = rd_kafka_mock_cluster_new(rk, brokers);
        if (cluster == NULL) {
                fprintf(stderr, "rd_kafka_mock_cluster_new failed\n");
                rd_kafka_destroy(rk);
                return 1;
        }
        printf("librdkafka %s mock cluster, %d broker(s)\n", rd_kafka_version_str(), brokers);
        printf("BOOTSTRAP=%s\n", rd_kafka_mock_cluster_bootstraps(cluster));
        fflush(stdout);

        while (!stopping && fgets(line, sizeof(line), stdin) != NULL) {
                char name[256];
                int partitions;
                if (sscanf(line, "topic %255s %d", name, &partitions) == 2 && partitions > 0) {
                        rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(cluster, name, partitions, 1);
                        if (err)
                                printf("error %s\n", rd_kafka_err2str(err));
                        else
                                printf("ok\n");
                } else {
                        printf("error unknown command\n");
                }
                fflush(stdout);
        }

        rd_kafka_mock_cluster_destroy(cluster);
        rd_kafka_destroy(rk);
        return 0;
}
