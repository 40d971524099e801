WITH "t8" AS (
  SELECT
    "t7"."__t",
    SUM("t7"."amount") AS "__n1",
    COUNT(*) AS "__n0"
  FROM (
    SELECT
      "t2"."amount",
      "t2"."order_date" AS "__d_order_date",
      "t2"."order_date" AS "__t"
    FROM "onpace_it_orders" AS "t2"
    WHERE
      "t2"."order_date" <= MAKE_DATE(2024, 4, 28)
      AND "t2"."order_date" >= MAKE_DATE(2023, 4, 1)
  ) AS "t7"
  GROUP BY
    1
)
SELECT
  "t23"."__p" AS "period",
  COALESCE("t23"."__n0", 0) AS "orders",
  CAST(COALESCE("t23"."__n2", 0) AS DOUBLE PRECISION) AS "order_amount_fytd"
FROM (
  SELECT
    "t22"."__p",
    MAX("t22"."__in") AS "__in",
    MAX("t22"."__n0") AS "__n0",
    MAX("t22"."__n1") AS "__n1",
    MAX("t22"."__n2") AS "__n2"
  FROM (
    SELECT
      *
    FROM (
      SELECT
        CAST(CAST("t20"."__p" AS TIMESTAMP) AS DATE) AS "__p",
        CAST(NULL AS SMALLINT) AS "__in",
        CAST(NULL AS BIGINT) AS "__n0",
        CAST(NULL AS DECIMAL(38, 2)) AS "__n1",
        "t20"."__n2"
      FROM (
        SELECT
          "t4"."__ap" AS "__p",
          "t19"."__c" AS "__n2"
        FROM (
          SELECT
            "t15"."__day",
            "t15"."__v",
            SUM("t15"."__v") OVER (
              PARTITION BY DATE_TRUNC('YEAR', "t15"."__day" - INTERVAL '3 MONTH') + INTERVAL '3 MONTH'
              ORDER BY "t15"."__day" ASC
              ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
            ) AS "__c"
          FROM (
            SELECT
              "t14"."__day",
              COALESCE("t14"."__x", 0) AS "__v"
            FROM (
              SELECT
                "t12"."__day",
                MAX("t12"."__in") AS "__in",
                MAX("t12"."__x") AS "__x",
                MAX("t12"."__e") AS "__e"
              FROM (
                SELECT
                  *
                FROM (
                  SELECT
                    "t3"."__day",
                    1 AS "__in",
                    CAST(NULL AS DECIMAL(38, 2)) AS "__x",
                    CAST(NULL AS SMALLINT) AS "__e"
                  FROM "onpace_days_b90e7dfab1a4" AS "t3"
                ) AS "t6"
                UNION ALL
                SELECT
                  *
                FROM (
                  SELECT
                    CAST(CAST("t9"."__t" AS TIMESTAMP) AS DATE) AS "__day",
                    CAST(NULL AS SMALLINT) AS "__in",
                    "t9"."__n1" AS "__x",
                    1 AS "__e"
                  FROM "t8" AS "t9"
                ) AS "t10"
              ) AS "t12"
              GROUP BY
                1
            ) AS "t14"
            WHERE
              "t14"."__in" IS NOT NULL
          ) AS "t15"
        ) AS "t19"
        INNER JOIN "onpace_asof_ae3aa4c70fa8" AS "t4"
          ON "t19"."__day" = "t4"."__ad"
      ) AS "t20"
    ) AS "t21"
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        *
      FROM (
        SELECT
          "t0"."__p",
          1 AS "__in",
          CAST(NULL AS BIGINT) AS "__n0",
          CAST(NULL AS DECIMAL(38, 2)) AS "__n1",
          CAST(NULL AS DECIMAL(38, 2)) AS "__n2"
        FROM "onpace_periods_e966898cbe18" AS "t0"
      ) AS "t5"
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          CAST(CAST("t13"."__p" AS TIMESTAMP) AS DATE) AS "__p",
          CAST(NULL AS SMALLINT) AS "__in",
          "t13"."__n0",
          "t13"."__n1",
          CAST(NULL AS DECIMAL(38, 2)) AS "__n2"
        FROM (
          SELECT
            "t11"."__p",
            SUM("t11"."__n0") AS "__n0",
            SUM("t11"."__n1") AS "__n1"
          FROM (
            SELECT
              "t9"."__t",
              "t9"."__n1",
              "t9"."__n0",
              DATE_TRUNC('WEEK', "t9"."__t" + INTERVAL '1 DAY') - INTERVAL '1 DAY' AS "__p"
            FROM "t8" AS "t9"
            WHERE
              "t9"."__t" <= MAKE_DATE(2024, 4, 28) AND "t9"."__t" >= MAKE_DATE(2024, 3, 3)
          ) AS "t11"
          GROUP BY
            1
        ) AS "t13"
      ) AS "t16"
    ) AS "t17"
  ) AS "t22"
  GROUP BY
    1
) AS "t23"
WHERE
  "t23"."__in" IS NOT NULL AND "t23"."__p" >= MAKE_DATE(2024, 3, 3)
