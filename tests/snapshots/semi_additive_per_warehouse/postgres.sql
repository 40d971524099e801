WITH "t3" AS (
  SELECT
    DATE_TRUNC('QUARTER', "t1"."snapshot_date") AS "__p",
    "t1"."snapshot_date" AS "__t",
    CAST("t1"."units" AS DOUBLE PRECISION) AS "__v",
    "t1"."warehouse" AS "__d_warehouse"
  FROM "onpace_it_inventory" AS "t1"
  WHERE
    "t1"."snapshot_date" <= MAKE_DATE(2024, 6, 30)
    AND "t1"."snapshot_date" >= MAKE_DATE(2024, 1, 1)
)
SELECT
  "t23"."__p" AS "period",
  "t23"."__n0" AS "warehouse_stock",
  "t23"."__n1" AS "warehouse_opening_stock",
  "t23"."__n2" AS "warehouse_average_stock"
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
        *
      FROM (
        SELECT
          "t0"."__p",
          1 AS "__in",
          CAST(NULL AS DOUBLE PRECISION) AS "__n0",
          CAST(NULL AS DOUBLE PRECISION) AS "__n1",
          CAST(NULL AS DOUBLE PRECISION) AS "__n2"
        FROM "onpace_periods_c48034f0663c" AS "t0"
      ) AS "t2"
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          CAST(CAST("t14"."__p" AS TIMESTAMP) AS DATE) AS "__p",
          CAST(NULL AS SMALLINT) AS "__in",
          "t14"."__n0",
          CAST(NULL AS DOUBLE PRECISION) AS "__n1",
          CAST(NULL AS DOUBLE PRECISION) AS "__n2"
        FROM (
          SELECT
            "t11"."__p",
            SUM("t11"."__v") AS "__n0"
          FROM (
            SELECT
              *
            FROM (
              SELECT
                "t4"."__p",
                "t4"."__t",
                "t4"."__v",
                "t4"."__d_warehouse",
                MAX("t4"."__t") OVER (
                  PARTITION BY "t4"."__p", "t4"."__d_warehouse"
                  ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
                ) AS "__pick"
              FROM "t3" AS "t4"
            ) AS "t7"
            WHERE
              "t7"."__t" = "t7"."__pick"
          ) AS "t11"
          GROUP BY
            1
        ) AS "t14"
      ) AS "t17"
    ) AS "t19"
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        *
      FROM (
        SELECT
          CAST(CAST("t15"."__p" AS TIMESTAMP) AS DATE) AS "__p",
          CAST(NULL AS SMALLINT) AS "__in",
          CAST(NULL AS DOUBLE PRECISION) AS "__n0",
          "t15"."__n1",
          CAST(NULL AS DOUBLE PRECISION) AS "__n2"
        FROM (
          SELECT
            "t12"."__p",
            SUM("t12"."__v") AS "__n1"
          FROM (
            SELECT
              *
            FROM (
              SELECT
                "t4"."__p",
                "t4"."__t",
                "t4"."__v",
                "t4"."__d_warehouse",
                MIN("t4"."__t") OVER (
                  PARTITION BY "t4"."__p", "t4"."__d_warehouse"
                  ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
                ) AS "__pick"
              FROM "t3" AS "t4"
            ) AS "t8"
            WHERE
              "t8"."__t" = "t8"."__pick"
          ) AS "t12"
          GROUP BY
            1
        ) AS "t15"
      ) AS "t18"
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          CAST(CAST("t16"."__p" AS TIMESTAMP) AS DATE) AS "__p",
          CAST(NULL AS SMALLINT) AS "__in",
          CAST(NULL AS DOUBLE PRECISION) AS "__n0",
          CAST(NULL AS DOUBLE PRECISION) AS "__n1",
          "t16"."__n2"
        FROM (
          SELECT
            "t13"."__p",
            SUM("t13"."__a") AS "__n2"
          FROM (
            SELECT
              "t10"."__p",
              CAST("t10"."__s" AS DOUBLE PRECISION) / "t9"."__c" AS "__a"
            FROM (
              SELECT
                "t4"."__p",
                "t4"."__d_warehouse",
                SUM("t4"."__v") AS "__s"
              FROM "t3" AS "t4"
              GROUP BY
                1,
                2
            ) AS "t10"
            INNER JOIN (
              SELECT
                "t4"."__p" AS "__tp",
                "t4"."__d_warehouse" AS "__e0",
                COUNT(DISTINCT "t4"."__t") AS "__c"
              FROM "t3" AS "t4"
              GROUP BY
                1,
                2
            ) AS "t9"
              ON "t10"."__p" = "t9"."__tp"
              AND "t10"."__d_warehouse" IS NOT DISTINCT FROM "t9"."__e0"
          ) AS "t13"
          GROUP BY
            1
        ) AS "t16"
      ) AS "t20"
    ) AS "t21"
  ) AS "t22"
  GROUP BY
    1
) AS "t23"
WHERE
  "t23"."__in" IS NOT NULL AND "t23"."__p" >= MAKE_DATE(2024, 1, 1)
