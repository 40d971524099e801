WITH `t3` AS (
  SELECT
    MAKEDATE(YEAR(`t1`.`snapshot_date`), 1) + INTERVAL (QUARTER(`t1`.`snapshot_date`) - 1) QUARTER AS `__p`,
    `t1`.`snapshot_date` AS `__t`,
    CAST(`t1`.`units` AS DOUBLE) AS `__v`,
    CAST(`t1`.`warehouse` AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_nopad_bin AS `__d_warehouse`
  FROM `onpace_it_inventory` AS `t1`
  WHERE
    `t1`.`snapshot_date` <= DATE('2024-06-30')
    AND `t1`.`snapshot_date` >= DATE('2024-01-01')
)
SELECT
  `t23`.`__p` AS `period`,
  `t23`.`__n0` AS `warehouse_stock`,
  `t23`.`__n1` AS `warehouse_opening_stock`,
  `t23`.`__n2` AS `warehouse_average_stock`
FROM (
  SELECT
    `t22`.`__p`,
    MAX(`t22`.`__in`) AS `__in`,
    MAX(`t22`.`__n0`) AS `__n0`,
    MAX(`t22`.`__n1`) AS `__n1`,
    MAX(`t22`.`__n2`) AS `__n2`
  FROM (
    SELECT
      *
    FROM (
      SELECT
        *
      FROM (
        SELECT
          `t0`.`__p`,
          1 AS `__in`,
          NULL AS `__n0`,
          NULL AS `__n1`,
          NULL AS `__n2`
        FROM `onpace_periods_c48034f0663c` AS `t0`
      ) AS `t2`
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          CAST(CAST(`t14`.`__p` AS DATETIME) AS DATE) AS `__p`,
          NULL AS `__in`,
          `t14`.`__n0`,
          NULL AS `__n1`,
          NULL AS `__n2`
        FROM (
          SELECT
            `t11`.`__p`,
            SUM(`t11`.`__v`) AS `__n0`
          FROM (
            SELECT
              *
            FROM (
              SELECT
                `t4`.`__p`,
                `t4`.`__t`,
                `t4`.`__v`,
                `t4`.`__d_warehouse`,
                MAX(`t4`.`__t`) OVER (
                  PARTITION BY `t4`.`__p`, `t4`.`__d_warehouse`
                  ORDER BY CASE WHEN NULL IS NULL THEN 1 ELSE 0 END, NULL ASC
                  ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
                ) AS `__pick`
              FROM `t3` AS `t4`
            ) AS `t7`
            WHERE
              `t7`.`__t` = `t7`.`__pick`
          ) AS `t11`
          GROUP BY
            1
        ) AS `t14`
      ) AS `t17`
    ) AS `t19`
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        *
      FROM (
        SELECT
          CAST(CAST(`t15`.`__p` AS DATETIME) AS DATE) AS `__p`,
          NULL AS `__in`,
          NULL AS `__n0`,
          `t15`.`__n1`,
          NULL AS `__n2`
        FROM (
          SELECT
            `t12`.`__p`,
            SUM(`t12`.`__v`) AS `__n1`
          FROM (
            SELECT
              *
            FROM (
              SELECT
                `t4`.`__p`,
                `t4`.`__t`,
                `t4`.`__v`,
                `t4`.`__d_warehouse`,
                MIN(`t4`.`__t`) OVER (
                  PARTITION BY `t4`.`__p`, `t4`.`__d_warehouse`
                  ORDER BY CASE WHEN NULL IS NULL THEN 1 ELSE 0 END, NULL ASC
                  ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
                ) AS `__pick`
              FROM `t3` AS `t4`
            ) AS `t8`
            WHERE
              `t8`.`__t` = `t8`.`__pick`
          ) AS `t12`
          GROUP BY
            1
        ) AS `t15`
      ) AS `t18`
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          CAST(CAST(`t16`.`__p` AS DATETIME) AS DATE) AS `__p`,
          NULL AS `__in`,
          NULL AS `__n0`,
          NULL AS `__n1`,
          `t16`.`__n2`
        FROM (
          SELECT
            `t13`.`__p`,
            SUM(`t13`.`__a`) AS `__n2`
          FROM (
            SELECT
              `t10`.`__p`,
              `t10`.`__s` / `t9`.`__c` AS `__a`
            FROM (
              SELECT
                `t4`.`__p`,
                `t4`.`__d_warehouse`,
                SUM(`t4`.`__v`) AS `__s`
              FROM `t3` AS `t4`
              GROUP BY
                1,
                2
            ) AS `t10`
            INNER JOIN (
              SELECT
                `t4`.`__p` AS `__tp`,
                `t4`.`__d_warehouse` AS `__e0`,
                COUNT(DISTINCT `t4`.`__t`) AS `__c`
              FROM `t3` AS `t4`
              GROUP BY
                1,
                2
            ) AS `t9`
              ON `t10`.`__p` = `t9`.`__tp` AND `t10`.`__d_warehouse` <=> `t9`.`__e0`
          ) AS `t13`
          GROUP BY
            1
        ) AS `t16`
      ) AS `t20`
    ) AS `t21`
  ) AS `t22`
  GROUP BY
    1
) AS `t23`
WHERE
  `t23`.`__in` IS NOT NULL AND `t23`.`__p` >= DATE('2024-01-01')
